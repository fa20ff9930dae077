#![no_main]
//! The log prefilter: every engine this CPU has must find exactly the matches (and count exactly
//! the newlines and comment lines) a naive search finds, whatever the sample it was tuned on.
use exray_parse::lines::Passed;
use exray_parse::prefilter::{naive_matches, Engine, Pat, Prefilter};
use libfuzzer_sys::fuzz_target;

fn tail_bang(hay: &[u8], _s: usize, e: usize) -> bool {
    hay.get(e) == Some(&b'!')
}

const PATS: &[Pat] = &[
    Pat::exact("ServerInfo~"),
    Pat::exact("#Fields:"),
    Pat::ci("powershell"),
    Pat::ci("whoami"),
    Pat::ci(".js"),
    Pat::ci("%2e"),
    Pat::ci("%6"),
    Pat::ci("/aspnet_client/"),
    Pat::ci_checked("/owa/auth/", tail_bang),
    Pat::ci("autodiscover.json"),
    Pat::ci("é\u{80}x"),
];

fuzz_target!(|data: &[u8]| {
    // The first byte splits the input into a tuning sample and the haystack.
    let Some((&cut, rest)) = data.split_first() else { return };
    let cut = (cut as usize).min(rest.len());
    let (sample, hay) = rest.split_at(cut);
    let want = naive_matches(PATS, &[], hay);
    for e in [Engine::Portable, Engine::Avx2, Engine::Vbmi] {
        if !e.supported() {
            continue;
        }
        let pf = Prefilter::with_engine(PATS, &[], sample, e);
        assert_eq!(pf.find_all(hay), want, "{e:?}");
        for at in [0, hay.len() / 3, hay.len() / 2] {
            let (m, passed) = pf.find_counting(hay, at);
            if at < hay.len() {
                assert_eq!(m, want.iter().copied().find(|&s| s >= at), "{e:?} at {at}");
                assert_eq!(passed, Passed::count(hay, at, m.unwrap_or(hay.len())), "{e:?} at {at}");
            }
        }
    }
});
