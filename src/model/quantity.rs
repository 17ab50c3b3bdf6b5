//! Kubernetes resource quantities (`500m`, `0.5`, `128Mi`, `1G`, `1e3`), read exactly so that
//! a request and a limit can be compared without rounding.

/// A quantity as an exact count of nano-units (10⁻⁹ of a core, or of a byte). `None` when
/// the text is not a quantity, is negative, is finer than a nano-unit or too large to hold.
pub fn parse(text: &str) -> Option<i128> {
    let s = text.trim();
    let digits_end = s
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_digit() || c == '.' || c == '+'))
        .map_or(s.len(), |(i, _)| i);
    let (number, suffix) = s.split_at(digits_end);
    let number = number.strip_prefix('+').unwrap_or(number);
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && frac.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    // mantissa × 10^exp10 × 2^exp2
    let mut mantissa: i128 = 0;
    for b in whole.bytes().chain(frac.bytes()) {
        mantissa = mantissa
            .checked_mul(10)?
            .checked_add(i128::from(b - b'0'))?;
    }
    let mut exp10 = -i32::try_from(frac.len()).ok()?;
    let mut exp2 = 0u32;
    match suffix {
        "" => {}
        "n" => exp10 -= 9,
        "u" => exp10 -= 6,
        "m" => exp10 -= 3,
        "k" => exp10 += 3,
        "M" => exp10 += 6,
        "G" => exp10 += 9,
        "T" => exp10 += 12,
        "P" => exp10 += 15,
        "E" => exp10 += 18,
        "Ki" => exp2 = 10,
        "Mi" => exp2 = 20,
        "Gi" => exp2 = 30,
        "Ti" => exp2 = 40,
        "Pi" => exp2 = 50,
        "Ei" => exp2 = 60,
        _ => {
            let exp = suffix.strip_prefix(['e', 'E'])?;
            let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            exp10 += exp.parse::<i32>().ok()?;
        }
    }
    // To nano-units.
    exp10 += 9;
    let mut v = mantissa.checked_mul(1i128.checked_shl(exp2)?)?;
    if exp10 >= 0 {
        v = v.checked_mul(10i128.checked_pow(u32::try_from(exp10).ok()?)?)?;
    } else {
        let d = 10i128.checked_pow(u32::try_from(-exp10).ok()?)?;
        if v % d != 0 {
            return None;
        }
        v /= d;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        let n = 1_000_000_000i128;
        assert_eq!(parse("500m"), Some(n / 2));
        assert_eq!(parse("0.5"), Some(n / 2));
        assert_eq!(parse("1"), Some(n));
        assert_eq!(parse(".5"), Some(n / 2));
        assert_eq!(parse("128Mi"), Some(128 * (1 << 20) * n));
        assert_eq!(parse("1G"), Some(1_000_000_000 * n));
        assert_eq!(parse("1e3"), Some(1000 * n));
        assert_eq!(parse("1E"), Some(1_000_000_000_000_000_000 * n));
        assert_eq!(parse("1.5Gi"), Some(3 * (1 << 29) * n));
        assert_eq!(parse("100n"), Some(100));
        assert_eq!(parse("1e-3"), Some(n / 1000));
        for bad in [
            "",
            "abc",
            "1Q",
            "-1",
            "1.2.3",
            "1e",
            "${CPU}",
            "0.0000000001",
            "9e99",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        assert!(parse("1Gi") > parse("1G"));
    }
}
