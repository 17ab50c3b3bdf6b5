#!/usr/bin/env python3
"""Container-level findings on a chart vs on `helm template`'s rendering of it.

For every chart under CORPUS that real Helm renders as it stands (a chart whose dependencies
are not vendored is refused by Helm and skipped), checks Helm's output as plain manifests and
the chart itself, and compares the findings of the default environment (rule messages, with
the environment suffix and random name suffixes normalised). Excluded by design: RES020/RES021
on charts with a production overlay (plumbline checks resources in production only there) and
pre-rendered manifests under a chart's examples/.

    cargo build --release && python3 bench/helm_findings.py ../shared/corpus
"""
import json,subprocess,os,re,glob,collections
import sys, tempfile
HELM=os.environ.get('HELM') or next(iter(glob.glob(os.path.expanduser('~/.cache/plumbline-oracles/**/helm'), recursive=True)), None)
if not HELM or not os.path.isfile(HELM):
    sys.exit('helm not found: run tests/oracles/install.sh or set HELM')
PL=os.environ.get('PLUMBLINE', 'target/release/plumbline')
CORPUS=sys.argv[1] if len(sys.argv) > 1 else '../shared/corpus'
TMP=tempfile.mkdtemp()
charts=[os.path.dirname(p) for p in glob.glob(os.path.abspath(CORPUS)+'/**/Chart.yaml',recursive=True)]
tot_a=tot_b=miss=false=0; n=0
strip=lambda m: re.sub(r'-(⦃unknown⦄|[a-z0-9]{5})`', '-RANDOM`', re.sub(r' \(environments?: [^)]*\)$','',m))
for c in sorted(set(charts)):
    # skip subcharts (inside another chart's charts/)
    parent=os.path.dirname(os.path.dirname(c))
    if os.path.basename(os.path.dirname(c))=='charts' and os.path.exists(os.path.join(parent,'Chart.yaml')): continue
    r=subprocess.run([HELM,'template',c],capture_output=True,text=True)
    if r.returncode!=0: continue
    d=os.path.join(TMP, c.replace('/','_')); os.makedirs(d,exist_ok=True)
    open(d+'/rendered.yaml','w').write(r.stdout)
    prod=any(re.search(r'values[.-](prod|production|live|prd)\.ya?ml$',p) for p in os.listdir(c))
    def f(path,extra=[]):
        o=subprocess.run([PL,'check',path,'--format','json']+extra,capture_output=True,text=True)
        j=json.loads(o.stdout)
        return collections.Counter(strip(x['message']) for x in j['findings'] if '/examples/' not in x['path'] and not (prod and x['rule'] in ('RES020','RES021')) and x['rule'][:4] in ('ROOT','RES0','PORT','SEC0','PIN0') and x['rule'] not in ('PIN030','SEC030') and (not x.get('environments') or 'default' in x['environments']))
    a=f(d); b=f(c)
    n+=1; tot_a+=sum(a.values()); tot_b+=sum(b.values())
    m=a-b; fl=b-a
    miss+=sum(m.values()); false+=sum(fl.values())
    if m or fl: print(os.path.relpath(c, CORPUS), 'helm',sum(a.values()),'ours',sum(b.values()),'missed',list(m)[:2],'extra',list(fl)[:2])
print('charts',n,'findings on helm output',tot_a,'on charts',tot_b,'missed',miss,'extra',false)
