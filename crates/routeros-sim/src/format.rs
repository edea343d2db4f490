//! The `rate-limit` of a profile (`25M/50M`).

/// Parses one RouterOS rate such as `25M`, `512k`, `1G` or `1000000` into bits per second.
pub(crate) fn parse_rate(text: &str) -> Option<u64> {
    let text = text.trim();
    let (digits, mult) = match text.char_indices().last()? {
        (i, 'k' | 'K') => (&text[..i], 1_000),
        (i, 'M') => (&text[..i], 1_000_000),
        (i, 'G') => (&text[..i], 1_000_000_000),
        _ => (text, 1),
    };
    digits.parse::<u64>().ok()?.checked_mul(mult)
}

/// Parses the first `rx/tx` pair of a `rate-limit` (`25M/50M ...`): rates in bits per second as
/// seen from the router (rx = the subscriber's upload, tx = the subscriber's download).
pub(crate) fn parse_rate_limit(text: &str) -> Option<(u64, u64)> {
    let first = text.split_whitespace().next()?;
    let (rx, tx) = first.split_once('/')?;
    Some((parse_rate(rx)?, parse_rate(tx)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limits() {
        assert_eq!(parse_rate_limit("25M/50M"), Some((25_000_000, 50_000_000)));
        assert_eq!(
            parse_rate_limit("512k/1M 1M/2M 0/0 8"),
            Some((512_000, 1_000_000))
        );
        assert_eq!(parse_rate_limit("100M"), None);
        assert_eq!(parse_rate_limit(""), None);
    }
}
