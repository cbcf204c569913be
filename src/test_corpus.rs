//! Generated inputs for the robustness tests of the request path's parsers.

/// Every string of up to `max` characters over `alphabet` (the empty string included).
pub fn corpus(alphabet: &[&str], max: usize) -> Vec<String> {
    let mut all = vec![String::new()];
    let mut last = vec![String::new()];
    for _ in 0..max {
        last = last
            .iter()
            .flat_map(|s| alphabet.iter().map(move |a| format!("{s}{a}")))
            .collect();
        all.extend(last.iter().cloned());
    }
    all
}
