//! Values as templates see them: Go kinds, reference semantics for maps, and provenance marks.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::rc::Rc;

/// Text written in place of a value the engine cannot know.
pub const UNKNOWN_TEXT: &str = "\u{2983}unknown\u{2984}";

/// Where a scalar (or a byte range of a string) came from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Mark {
    /// An id the caller attached to a value it supplied (e.g. a values-file node).
    External(u32),
    /// A literal written in a template: the template file id and the byte span of the literal
    /// (or of the text node) in that file.
    Template { template: u32, span: Range<u32> },
}

/// A string with provenance: `marks` are byte ranges of `s` with the mark of the input they
/// came from (ranges may overlap when an output derives from several marked inputs as a whole);
/// `unknown` are byte ranges that hold [`UNKNOWN_TEXT`] for a value nobody can know.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Text {
    pub s: String,
    pub marks: Vec<(Range<u32>, Mark)>,
    pub unknown: Vec<(Range<u32>, Rc<str>)>,
}

impl Text {
    pub fn plain(s: impl Into<String>) -> Text {
        Text {
            s: s.into(),
            marks: Vec::new(),
            unknown: Vec::new(),
        }
    }
    pub fn marked(s: impl Into<String>, mark: Option<Mark>) -> Text {
        let s = s.into();
        let mut t = Text::plain(s);
        if let Some(m) = mark
            && !t.s.is_empty()
        {
            t.marks.push((0..t.s.len() as u32, m));
        }
        t
    }
    pub fn unknown_marker(reason: &str) -> Text {
        Text {
            s: UNKNOWN_TEXT.to_string(),
            marks: Vec::new(),
            unknown: vec![(0..UNKNOWN_TEXT.len() as u32, Rc::from(reason))],
        }
    }
    pub fn as_str(&self) -> &str {
        &self.s
    }
    pub fn is_plain(&self) -> bool {
        self.marks.is_empty() && self.unknown.is_empty()
    }
    pub fn has_unknown(&self) -> bool {
        !self.unknown.is_empty()
    }
    /// Distinct marks of the whole text, in order of first appearance.
    pub fn distinct_marks(&self) -> Vec<Mark> {
        let mut v: Vec<Mark> = Vec::new();
        for (_, m) in &self.marks {
            if !v.contains(m) {
                v.push(m.clone());
            }
        }
        v
    }
    /// Sub-range of the text with the marks that overlap it, clipped.
    pub fn slice(&self, r: Range<usize>) -> Text {
        let mut b = TextBuf::new();
        b.push_slice(self, r);
        b.finish()
    }
}

/// Builds a [`Text`] by appending pieces; adjacent equal marks are merged.
#[derive(Default, Debug)]
pub struct TextBuf {
    pub t: Text,
}

impl TextBuf {
    pub fn new() -> TextBuf {
        TextBuf::default()
    }
    pub fn len(&self) -> usize {
        self.t.s.len()
    }
    pub fn is_empty(&self) -> bool {
        self.t.s.is_empty()
    }
    pub fn push_str(&mut self, s: &str) {
        self.t.s.push_str(s);
    }
    pub fn push_char(&mut self, c: char) {
        self.t.s.push(c);
    }
    pub fn push_marked(&mut self, s: &str, mark: Option<&Mark>) {
        let start = self.t.s.len();
        self.t.s.push_str(s);
        if let Some(m) = mark {
            self.add_mark(start..self.t.s.len(), m.clone());
        }
    }
    pub fn push_unknown(&mut self, reason: &str) {
        let start = self.t.s.len();
        self.t.s.push_str(UNKNOWN_TEXT);
        self.add_unknown(start..self.t.s.len(), Rc::from(reason));
    }
    pub fn add_mark(&mut self, r: Range<usize>, m: Mark) {
        if r.start >= r.end {
            return;
        }
        let r = r.start as u32..r.end as u32;
        if let Some((lr, lm)) = self.t.marks.last_mut()
            && lr.end == r.start
            && *lm == m
        {
            lr.end = r.end;
            return;
        }
        self.t.marks.push((r, m));
    }
    pub fn add_unknown(&mut self, r: Range<usize>, reason: Rc<str>) {
        if r.start >= r.end {
            return;
        }
        self.t.unknown.push((r.start as u32..r.end as u32, reason));
    }
    pub fn push_text(&mut self, t: &Text) {
        self.push_slice(t, 0..t.s.len());
    }
    /// Appends `t.s[r]` with the marks overlapping `r`.
    pub fn push_slice(&mut self, t: &Text, r: Range<usize>) {
        let base = self.t.s.len();
        let Some(piece) = t.s.get(r.clone()) else {
            return;
        };
        self.t.s.push_str(piece);
        let (a, b) = (r.start as u32, r.end as u32);
        for (mr, m) in &t.marks {
            let s = mr.start.max(a);
            let e = mr.end.min(b);
            if s < e {
                self.add_mark(base + (s - a) as usize..base + (e - a) as usize, m.clone());
            }
        }
        for (ur, why) in &t.unknown {
            let s = ur.start.max(a);
            let e = ur.end.min(b);
            if s < e {
                self.add_unknown(
                    base + (s - a) as usize..base + (e - a) as usize,
                    why.clone(),
                );
            }
        }
    }
    /// Appends the slices `ranges` of `t` (ascending, disjoint), calling `between(self, i)`
    /// after slice `i`: what calling [`Self::push_slice`] for each slice does, in one sweep
    /// over the marks instead of one pass per slice (`indent` of a long `toYaml` cuts it
    /// into a slice per line; a pass per line would be quadratic).
    pub fn push_slices(
        &mut self,
        t: &Text,
        ranges: &[Range<usize>],
        mut between: impl FnMut(&mut Self, usize),
    ) {
        let mut marks = Sweep::new(t.marks.iter().map(|(r, _)| r.clone()));
        let mut unknown = Sweep::new(t.unknown.iter().map(|(r, _)| r.clone()));
        for (i, r) in ranges.iter().enumerate() {
            let base = self.t.s.len();
            let Some(piece) = t.s.get(r.clone()) else {
                between(self, i);
                continue;
            };
            self.t.s.push_str(piece);
            let (a, b) = (r.start as u32, r.end as u32);
            for k in marks.overlapping(a, b) {
                let (mr, m) = &t.marks[k];
                let (s, e) = (mr.start.max(a), mr.end.min(b));
                self.add_mark(base + (s - a) as usize..base + (e - a) as usize, m.clone());
            }
            for k in unknown.overlapping(a, b) {
                let (ur, why) = &t.unknown[k];
                let (s, e) = (ur.start.max(a), ur.end.min(b));
                self.add_unknown(
                    base + (s - a) as usize..base + (e - a) as usize,
                    why.clone(),
                );
            }
            between(self, i);
        }
    }
    /// Marks `r` (in this buffer) with every mark of `src` (a derived piece that does not
    /// keep positions).
    pub fn mark_whole_from(&mut self, r: Range<usize>, src: &Text) {
        for m in src.distinct_marks() {
            self.add_mark(r.clone(), m);
        }
    }
    pub fn finish(self) -> Text {
        self.t
    }
    /// Cuts the text to `len` bytes (a char boundary), clipping marks.
    pub fn truncate(&mut self, len: usize) {
        if len >= self.t.s.len() || !self.t.s.is_char_boundary(len) {
            return;
        }
        self.t.s.truncate(len);
        let l = len as u32;
        self.t.marks.retain(|(r, _)| r.start < l);
        for (r, _) in self.t.marks.iter_mut() {
            r.end = r.end.min(l);
        }
        self.t.unknown.retain(|(r, _)| r.start < l);
        for (r, _) in self.t.unknown.iter_mut() {
            r.end = r.end.min(l);
        }
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.s)
    }
}

/// The element type of a Go slice, for `typeOf` and printing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListTy {
    /// `[]interface {}`
    Any,
    /// `[]string`
    Str,
    /// `[]int`
    Int,
    /// `[]uint8` (`.Files.GetBytes`): items are `Int` bytes.
    Bytes,
}

/// A Go slice. Immutable once built (no template function mutates a slice in place).
#[derive(Debug)]
pub struct ListData {
    pub items: Vec<Value>,
    pub ty: ListTy,
    /// Go's nil slice (prints `[]`, marshals as `null`).
    pub nil: bool,
}

#[derive(Clone, Debug)]
pub struct List(pub Rc<ListData>);

impl List {
    pub fn new(items: Vec<Value>) -> List {
        {
            List(Rc::new(ListData {
                items,
                ty: ListTy::Any,
                nil: false,
            }))
        }
    }
    pub fn typed(items: Vec<Value>, ty: ListTy) -> List {
        List(Rc::new(ListData {
            items,
            ty,
            nil: false,
        }))
    }
    pub fn nil() -> List {
        List(Rc::new(ListData {
            items: Vec::new(),
            ty: ListTy::Any,
            nil: true,
        }))
    }
    pub fn items(&self) -> &[Value] {
        &self.0.items
    }
    pub fn len(&self) -> usize {
        self.0.items.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.items.is_empty()
    }
    pub fn ty(&self) -> ListTy {
        self.0.ty
    }
}

/// The Go type of a map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapTy {
    /// `map[string]interface {}`
    Any,
    /// `chartutil.Values`
    Values,
    /// `map[string]string` (sprig `split`)
    Str,
}

#[derive(Debug, Default)]
pub struct MapData {
    pub entries: BTreeMap<String, Value>,
    /// Provenance of keys (for `range $k, $v`), filled by loaders.
    pub key_marks: BTreeMap<String, Mark>,
    /// Go's nil map (from a nil argument): reads work, writes fail.
    pub nil: bool,
}

/// A Go map: a reference type, shared and mutable (`set`, `unset`, `merge` mutate in place).
#[derive(Clone, Debug)]
pub struct Map {
    pub data: Rc<RefCell<MapData>>,
    pub ty: MapTy,
}

impl Map {
    pub fn new() -> Map {
        Map {
            data: Rc::new(RefCell::new(MapData::default())),
            ty: MapTy::Any,
        }
    }
    pub fn with_ty(ty: MapTy) -> Map {
        Map {
            data: Rc::new(RefCell::new(MapData::default())),
            ty,
        }
    }
    pub fn nil_map() -> Map {
        let m = Map::new();
        m.data.borrow_mut().nil = true;
        m
    }
    pub fn from_entries(entries: BTreeMap<String, Value>) -> Map {
        Map {
            data: Rc::new(RefCell::new(MapData {
                entries,
                key_marks: BTreeMap::new(),
                nil: false,
            })),
            ty: MapTy::Any,
        }
    }
    pub fn get(&self, k: &str) -> Option<Value> {
        self.data.borrow().entries.get(k).cloned()
    }
    pub fn contains(&self, k: &str) -> bool {
        self.data.borrow().entries.contains_key(k)
    }
    pub fn insert(&self, k: impl Into<String>, v: Value) {
        let mut d = self.data.borrow_mut();
        d.nil = false;
        d.entries.insert(k.into(), v);
    }
    pub fn insert_marked(&self, k: impl Into<String>, key_mark: Option<Mark>, v: Value) {
        let k = k.into();
        let mut d = self.data.borrow_mut();
        d.nil = false;
        if let Some(m) = key_mark {
            d.key_marks.insert(k.clone(), m);
        }
        d.entries.insert(k, v);
    }
    pub fn remove(&self, k: &str) {
        let mut d = self.data.borrow_mut();
        d.entries.remove(k);
    }
    pub fn len(&self) -> usize {
        self.data.borrow().entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.data.borrow().entries.is_empty()
    }
    pub fn is_nil(&self) -> bool {
        self.data.borrow().nil
    }
    pub fn keys(&self) -> Vec<String> {
        self.data.borrow().entries.keys().cloned().collect()
    }
    pub fn key_mark(&self, k: &str) -> Option<Mark> {
        self.data.borrow().key_marks.get(k).cloned()
    }
    /// Entries in sorted key order (a snapshot).
    pub fn entries(&self) -> Vec<(String, Value)> {
        self.data
            .borrow()
            .entries
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
    pub fn ptr_eq(&self, o: &Map) -> bool {
        Rc::ptr_eq(&self.data, &o.data)
    }
}

impl Default for Map {
    fn default() -> Self {
        Map::new()
    }
}

/// A structured Helm object (`.Files`, `.Capabilities`, `.Chart`, a semver version, a time).
pub trait Object: fmt::Debug {
    /// Go type name as `%T` prints it (`*chartutil.Capabilities`).
    fn type_name(&self) -> String;
    /// Go kind as `reflect.Kind.String()` gives it (`struct`, `ptr`, `slice`, `map`).
    fn kind(&self) -> &'static str {
        "struct"
    }
    /// A field (or a method taking no argument). `None`: no such field.
    fn field(&self, name: &str) -> Option<Value>;
    /// Whether `name` is a method (called with the arguments of the command).
    fn has_method(&self, _name: &str) -> bool {
        false
    }
    /// Calls a method. `Err` is the Go error text.
    fn call_method(&self, name: &str, _args: &[Value]) -> Result<Value, String> {
        Err(format!(
            "can't evaluate field {} in type {}",
            name,
            self.type_name()
        ))
    }
    /// `%v` text.
    fn format(&self) -> String;
    /// Length for `len`, if the object has one.
    fn len(&self) -> Option<usize> {
        None
    }
    /// Whether `len` is zero (Sprig's `empty`).
    fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }
    /// The object as plain data (for toYaml/toJson and range), if it has such a form.
    fn to_data(&self) -> Option<Value> {
        None
    }
    /// Truth for `if`.
    fn truthy(&self) -> bool {
        true
    }
    /// For downcasting helpers.
    fn as_any(&self) -> &dyn std::any::Any;
}

/// A template value with its Go kind.
#[derive(Clone, Debug)]
pub enum Value {
    /// An invalid value / nil interface (`<no value>` when printed by an action).
    Nil,
    Bool(bool, Option<Mark>),
    /// Go `int` (template literals, `len`, `atoi`, `int`).
    Int(i64, Option<Mark>),
    /// Go `int64` (sprig arithmetic, `int64`).
    Int64(i64, Option<Mark>),
    /// Go `float64` (every number from values files, `fromYaml`, `fromJson`, `float64`).
    Float(f64, Option<Mark>),
    Str(Rc<Text>),
    List(List),
    Map(Map),
    Object(Rc<dyn Object>),
    /// A value that cannot be known when linting, with the reason.
    Unknown(Rc<str>),
}

impl Value {
    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(Rc::new(Text::plain(s)))
    }
    pub fn text(t: Text) -> Value {
        Value::Str(Rc::new(t))
    }
    pub fn str_marked(s: impl Into<String>, m: Option<Mark>) -> Value {
        Value::Str(Rc::new(Text::marked(s, m)))
    }
    pub fn unknown(reason: impl Into<String>) -> Value {
        Value::Unknown(Rc::from(reason.into().as_str()))
    }
    pub fn int(i: i64) -> Value {
        Value::Int(i, None)
    }
    pub fn bool(b: bool) -> Value {
        Value::Bool(b, None)
    }
    pub fn list(v: Vec<Value>) -> Value {
        Value::List(List::new(v))
    }
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }
    pub fn is_unknown(&self) -> bool {
        match self {
            Value::Unknown(_) => true,
            Value::Str(t) => t.has_unknown(),
            _ => false,
        }
    }
    /// The reason if the value is (or holds) something unknown.
    pub fn unknown_reason(&self) -> Option<Rc<str>> {
        match self {
            Value::Unknown(r) => Some(r.clone()),
            Value::Str(t) => t.unknown.first().map(|(_, r)| r.clone()),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(t) => Some(&t.s),
            _ => None,
        }
    }
    pub fn as_text(&self) -> Option<&Text> {
        match self {
            Value::Str(t) => Some(t),
            _ => None,
        }
    }
    /// The mark of a scalar (for strings: the mark if one mark covers the whole text).
    pub fn mark(&self) -> Option<Mark> {
        match self {
            Value::Bool(_, m) | Value::Int(_, m) | Value::Int64(_, m) | Value::Float(_, m) => {
                m.clone()
            }
            Value::Str(t) => {
                if t.marks.len() == 1 && t.marks[0].0 == (0..t.s.len() as u32) {
                    Some(t.marks[0].1.clone())
                } else {
                    None
                }
            }
            _ => None,
        }
    }
    /// Every mark a value carries (for strings, all distinct marks).
    pub fn marks(&self) -> Vec<Mark> {
        match self {
            Value::Str(t) => t.distinct_marks(),
            _ => self.mark().into_iter().collect(),
        }
    }
    /// The same value with its mark replaced (scalars) or set over the whole text (strings).
    pub fn with_mark(self, m: Option<Mark>) -> Value {
        match self {
            Value::Bool(b, _) => Value::Bool(b, m),
            Value::Int(i, _) => Value::Int(i, m),
            Value::Int64(i, _) => Value::Int64(i, m),
            Value::Float(f, _) => Value::Float(f, m),
            Value::Str(t) => {
                let mut t2 = Text::plain(t.s.clone());
                t2.unknown = t.unknown.clone();
                if let Some(m) = m
                    && !t2.s.is_empty()
                {
                    t2.marks.push((0..t2.s.len() as u32, m));
                }
                Value::Str(Rc::new(t2))
            }
            v => v,
        }
    }

    /// Go's `reflect.Kind` name.
    pub fn kind_name(&self) -> String {
        match self {
            Value::Nil => "invalid".into(),
            Value::Bool(..) => "bool".into(),
            Value::Int(..) => "int".into(),
            Value::Int64(..) => "int64".into(),
            Value::Float(..) => "float64".into(),
            Value::Str(_) => "string".into(),
            Value::List(_) => "slice".into(),
            Value::Map(_) => "map".into(),
            Value::Object(o) => o.kind().into(),
            Value::Unknown(_) => "invalid".into(),
        }
    }

    /// Go's `%T`.
    pub fn type_name(&self) -> String {
        match self {
            Value::Nil => "<nil>".into(),
            Value::Bool(..) => "bool".into(),
            Value::Int(..) => "int".into(),
            Value::Int64(..) => "int64".into(),
            Value::Float(..) => "float64".into(),
            Value::Str(_) => "string".into(),
            Value::List(l) => match l.ty() {
                ListTy::Any => "[]interface {}".into(),
                ListTy::Str => "[]string".into(),
                ListTy::Int => "[]int".into(),
                ListTy::Bytes => "[]uint8".into(),
            },
            Value::Map(m) => match m.ty {
                MapTy::Any => "map[string]interface {}".into(),
                MapTy::Values => "chartutil.Values".into(),
                MapTy::Str => "map[string]string".into(),
            },
            Value::Object(o) => o.type_name(),
            Value::Unknown(_) => "<unknown>".into(),
        }
    }

    /// Go's `isTrue` (template `if`). Unknown counts as true.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b, _) => *b,
            Value::Int(i, _) | Value::Int64(i, _) => *i != 0,
            Value::Float(f, _) => *f != 0.0,
            Value::Str(t) => !t.s.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.is_empty(),
            Value::Object(o) => o.truthy(),
            Value::Unknown(_) => true,
        }
    }

    /// Sprig's `empty`.
    pub fn is_empty_value(&self) -> bool {
        match self {
            Value::Object(o) => match o.len() {
                Some(n) => n == 0,
                None => false,
            },
            v => !v.truthy(),
        }
    }
}

/// A string value from a `String`.
impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::str(s)
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::str(s)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b, None)
    }
}
impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Value::Float(f, None)
    }
}

/// Go's `reflect.DeepEqual` on template values.
pub fn deep_equal(a: &Value, b: &Value) -> bool {
    deep_equal_d(a, b, 0)
}

fn deep_equal_d(a: &Value, b: &Value, d: usize) -> bool {
    if d > 200 {
        return false;
    }
    match (a, b) {
        (Value::Nil, Value::Nil) => true,
        (Value::Bool(x, _), Value::Bool(y, _)) => x == y,
        (Value::Int(x, _), Value::Int(y, _)) => x == y,
        (Value::Int64(x, _), Value::Int64(y, _)) => x == y,
        (Value::Float(x, _), Value::Float(y, _)) => x == y,
        (Value::Str(x), Value::Str(y)) => x.s == y.s,
        (Value::List(x), Value::List(y)) => {
            x.ty() == y.ty()
                && x.0.nil == y.0.nil
                && x.len() == y.len()
                && x.items()
                    .iter()
                    .zip(y.items())
                    .all(|(p, q)| deep_equal_d(p, q, d + 1))
        }
        (Value::Map(x), Value::Map(y)) => {
            if x.ty != y.ty {
                return false;
            }
            if x.ptr_eq(y) {
                return true;
            }
            let (xe, ye) = (x.entries(), y.entries());
            xe.len() == ye.len()
                && xe
                    .iter()
                    .zip(ye.iter())
                    .all(|((k1, v1), (k2, v2))| k1 == k2 && deep_equal_d(v1, v2, d + 1))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.type_name() == y.type_name() && x.format() == y.format()
        }
        _ => false,
    }
}

/// Ranges met by ascending, disjoint queries: each range enters the active set when a query
/// reaches its start and leaves it once a query starts past its end.
struct Sweep {
    /// Indices of the ranges, by start.
    order: Vec<usize>,
    ranges: Vec<Range<u32>>,
    next: usize,
    active: Vec<usize>,
}

impl Sweep {
    fn new(ranges: impl Iterator<Item = Range<u32>>) -> Self {
        let ranges: Vec<Range<u32>> = ranges.collect();
        let mut order: Vec<usize> = (0..ranges.len()).collect();
        order.sort_by_key(|&i| ranges[i].start);
        Self {
            order,
            ranges,
            next: 0,
            active: Vec::new(),
        }
    }

    /// The ranges overlapping `a..b` (non-empty overlap), in their original order.
    fn overlapping(&mut self, a: u32, b: u32) -> Vec<usize> {
        while self.next < self.order.len() && self.ranges[self.order[self.next]].start < b {
            self.active.push(self.order[self.next]);
            self.next += 1;
        }
        let ranges = &self.ranges;
        self.active.retain(|&i| ranges[i].end > a);
        let mut hit: Vec<usize> = self
            .active
            .iter()
            .copied()
            .filter(|&i| ranges[i].start.max(a) < ranges[i].end.min(b))
            .collect();
        hit.sort_unstable();
        hit
    }
}
