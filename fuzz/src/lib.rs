//! What the fuzz targets check, kept out of the targets so that it also runs on stable:
//! `cargo test` here runs each check on seeds and on some thousands of pseudo-random mutations
//! of them. `merge`: the merge engine ([`check`]); `manifest`: `bundle.toml` parsing and
//! validation ([`check_manifest`]); `answers`: `.goldpath.toml` parsing ([`check_answers`]);
//! `paths`: path validation ([`check_path`]); `templates`: a bundle's template through the
//! render's checks, tera's parse and the render ([`check_template`]).

use goldpath::answers::AnswersFile;
use goldpath::bundle::Manifest;
use goldpath::merge::{self, ConflictStyle, Favor, Labels, Options};
use goldpath::tree::RelPath;

// The property test's statement of a portable path, shared so both check the same thing.
#[path = "../../tests/path_oracle.rs"]
mod path_oracle;

/// Splits the fuzzer's bytes into base, ours and theirs.
const SEPARATOR: &[u8] = b"\xff\xfe";

/// One fuzz input: two bytes of options, then base, ours and theirs separated by [`SEPARATOR`].
struct Input<'a> {
    base: &'a [u8],
    ours: &'a [u8],
    theirs: &'a [u8],
    opts: Options,
}

impl<'a> Input<'a> {
    fn parse(data: &'a [u8]) -> Option<Input<'a>> {
        let (&[settings, size], rest) = data.split_first_chunk::<2>()?;
        let mut parts = split(rest);
        let (base, ours, theirs) = (parts.next()?, parts.next()?, parts.next()?);
        let style = [
            ConflictStyle::Merge,
            ConflictStyle::Diff3,
            ConflictStyle::Zdiff3,
        ][usize::from(settings % 3)];
        let favor = [
            None,
            Some(Favor::Ours),
            Some(Favor::Theirs),
            Some(Favor::Union),
            None,
        ][usize::from(settings / 3 % 5)];
        // Mostly git's size, sometimes any of 1 to 16.
        let marker_size = if size < 160 {
            7
        } else {
            1 + usize::from(size % 16)
        };
        let labels = Labels {
            ours: "ours".into(),
            base: String::new(),
            theirs: "their side".into(),
        };
        let opts = Options {
            style,
            marker_size,
            labels,
            favor,
        };
        Some(Input {
            base,
            ours,
            theirs,
            opts,
        })
    }
}

fn split(mut rest: &[u8]) -> impl Iterator<Item = &[u8]> {
    std::iter::from_fn(move || {
        let at = rest.windows(SEPARATOR.len()).position(|w| w == SEPARATOR);
        let (part, next) = match at {
            Some(i) => (&rest[..i], &rest[i + SEPARATOR.len()..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        Some(part)
    })
}

/// Merges the input every way and panics if anything is wrong: a merge with valid options
/// fails, a conflict is not framed by its markers in the result, the upgrade merge does not
/// read back to its conflicts, or an unchanged side does not give way.
pub fn check(data: &[u8]) {
    let Some(input) = Input::parse(data) else {
        return;
    };
    let Input {
        base,
        ours,
        theirs,
        ref opts,
    } = input;
    let binary = merge::is_binary(base) || merge::is_binary(ours) || merge::is_binary(theirs);

    let out = merge::merge(base, ours, theirs, opts).expect("a merge with valid options");
    check_regions(&out, binary);
    if binary && !out.is_clean() {
        assert_eq!(out.bytes, ours, "a binary conflict leaves ours as it is");
    }

    let up = merge::merge_for_upgrade(base, ours, theirs, opts).expect("an upgrade merge");
    check_regions(&up, binary);
    assert!(up.marker_size >= opts.marker_size);
    if !binary {
        assert_eq!(
            merge::parse_conflicts(&up.bytes, up.marker_size),
            up.conflicts,
            "the upgrade merge reads back to its conflicts"
        );
    }

    let same = merge::merge(base, base, theirs, opts).expect("a merge with an unchanged side");
    assert!(same.is_clean());
    assert_eq!(same.bytes, theirs, "an unchanged ours gives way to theirs");

    for bytes in [base, ours, theirs, &out.bytes] {
        merge::has_conflict_markers(bytes);
        merge::parse_conflicts(bytes, opts.marker_size);
    }
}

/// Conflicts are in order, apart, inside the result, and each starts with an opening marker
/// line and ends with a closing one of the outcome's size; binary conflicts have no lines.
fn check_regions(out: &merge::Outcome, binary: bool) {
    if binary {
        assert!(out.conflicts.len() <= 1);
        assert!(out.conflicts.iter().all(|c| c.is_binary()));
        return;
    }
    let lines: Vec<&[u8]> = out.bytes.split_inclusive(|&b| b == b'\n').collect();
    let marker = |line: &[u8], c: u8| {
        line.len() >= out.marker_size
            && line[..out.marker_size].iter().all(|&b| b == c)
            && line
                .get(out.marker_size)
                .is_none_or(|&b| b == b' ' || b == b'\n' || b == b'\r')
    };
    let mut after = 0;
    for c in &out.conflicts {
        let range = c.lines.clone().expect("a text conflict has lines");
        assert!(
            *range.start() > after,
            "conflicts in order and apart: {:?}",
            out.conflicts
        );
        assert!(
            range.end() - range.start() >= 2,
            "at least <, = and > lines"
        );
        assert!(*range.end() <= lines.len(), "inside the result");
        assert!(
            marker(lines[range.start() - 1], b'<'),
            "opens with a marker"
        );
        assert!(marker(lines[range.end() - 1], b'>'), "closes with a marker");
        after = *range.end();
    }
}

/// Whether `line`, from a parse error, is a line of `text` (or the one just past its end).
fn is_line_of(line: usize, text: &str) -> bool {
    (1..=text.lines().count() + 1).contains(&line)
}

/// `Manifest::parse` and `validate` never panic; a parse error has a message and a line of the
/// text; every problem `validate` reports says something.
pub fn check_manifest(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Manifest::parse(text) {
        Ok(manifest) => {
            for problem in manifest.validate() {
                assert!(!problem.message.is_empty(), "{problem}");
            }
        }
        Err((line, message)) => {
            assert!(!message.is_empty());
            if let Some(line) = line {
                assert!(is_line_of(line, text), "line {line}: {message}");
            }
        }
    }
}

/// `AnswersFile::parse` never panics; an error names the file and a line of it; a file it
/// reads, goldpath writes back in a form it reads again to the same bytes.
pub fn check_answers(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    const FILE: &str = "svc/.goldpath.toml";
    match AnswersFile::parse(text, FILE) {
        Ok(file) => {
            let written = file.to_toml();
            let again = AnswersFile::parse(&written, FILE)
                .unwrap_or_else(|e| panic!("goldpath cannot read what it wrote: {e}\n{written}"));
            assert_eq!(again.to_toml(), written, "writing it again changes it");
        }
        Err(e) => {
            let message = e.to_string();
            assert!(message.contains(FILE), "{message}");
            if let goldpath::answers::Error::File {
                line: Some(line), ..
            } = e
            {
                assert!(is_line_of(line, text), "line {line}: {message}");
            }
        }
    }
}

/// A path `RelPath::new` accepts is portable and stays inside the project; one it refuses has
/// a reason ([`path_oracle::check`]). A bundle path `RelPath::in_bundle` accepts (later
/// rendered and checked again) cannot leave the bundle either.
pub fn check_path(data: &[u8]) {
    let Ok(path) = std::str::from_utf8(data) else {
        return;
    };
    path_oracle::check(path);
    if let Ok(rel) = RelPath::in_bundle(path) {
        let under = rel.under(std::path::Path::new("/bundle"));
        let inside = under.strip_prefix("/bundle").expect("under the root");
        assert!(
            inside
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_))),
            "{path:?}"
        );
    }
}

/// A template (untrusted bundle input) never panics the render: it renders, or the error says
/// something and names the template, with a line of it when it has one; and its text folded for
/// the parse, it parses as tera parses it unfolded ([`goldpath::render::folds_alike`]).
pub fn check_template(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    assert!(goldpath::render::folds_alike(text), "{text:?}");
    let bundle = goldpath::bundle::Bundle {
        manifest: Manifest::parse("[bundle]\nname = \"t\"\nversion = \"1.0.0\"\n").unwrap(),
        template: [(
            RelPath::in_bundle("a.txt.tera").unwrap(),
            goldpath::tree::File::new(text),
        )]
        .into_iter()
        .collect(),
        hooks: Default::default(),
        partials: Default::default(),
        changelog: None,
        origin: goldpath::bundle::Origin {
            source: goldpath::bundle::SourceSpec::Builtin,
            commit: None,
        },
    };
    let answers = [
        (
            "x".to_string(),
            goldpath::answers::Value::String("v".into()),
        ),
        (
            "xs".to_string(),
            goldpath::answers::Value::List(vec!["a".into(), "b".into()]),
        ),
    ]
    .into_iter()
    .collect();
    // Small enough that a mutated loop stops in milliseconds.
    let limits = goldpath::render::Limits {
        loop_iterations: 10_000,
        range_items: 1_000,
        macro_calls: 10_000,
        time: std::time::Duration::from_secs(5),
        ..goldpath::render::Limits::DEFAULT
    };
    if let Err(e) = goldpath::render::render_with(&bundle, &answers, limits) {
        let message = e.to_string();
        assert!(message.contains("a.txt.tera"), "{message}");
        if let goldpath::render::Error::Template {
            line: Some(line), ..
        } = e
        {
            assert!(is_line_of(line, text), "line {line}: {message}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand-made inputs at the edges, each: settings byte, size byte, base, ours, theirs.
    fn seeds() -> Vec<Vec<u8>> {
        let triples: &[(&[u8], &[u8], &[u8])] = &[
            (b"a\nb\nc\n", b"a\nB\nc\n", b"a\nX\nc\n"),
            (b"a\r\nb\r\n", b"a\r\nB\r\n", b"a\nX\n"),
            (b"a\nb", b"a\nB", b"a\nX"),
            (b"", b"x\n", b"y\n"),
            (b"a\n", b"", b"b\n"),
            (b"a\nb\nc\n", b"a\nB\n=======\nc\n", b"a\nX\n>>>>>>>\nc\n"),
            (b"<<<<<<< a\nb\n=======\nc\n>>>>>>> d\n", b"x\n", b"y\n"),
            (b"\0bin", b"\0ours", b"\0theirs"),
            (b"\xef\xbb\xbfa\n", b"a\r\n", b"\xef\xbb\xbfb\n"),
            (b"1\n2\n3\n4\n5\n", b"1\nX\nY\nZ\n5\n", b"1\nX\nQ\nZ\n5\n"),
            (b"a\n;\nb\n", b"A\n;\nB\n", b"C\n;\nD\n"),
        ];
        let mut seeds = Vec::new();
        for (i, (base, ours, theirs)) in triples.iter().enumerate() {
            for settings in [0u8, 1, 2, 3, 7, 11, 14] {
                let size = if i % 2 == 0 { 0 } else { 200 };
                seeds.push(
                    [
                        &[settings, size][..],
                        base,
                        SEPARATOR,
                        ours,
                        SEPARATOR,
                        theirs,
                    ]
                    .concat(),
                );
            }
        }
        seeds
    }

    #[test]
    fn seeds_pass() {
        for seed in seeds() {
            check(&seed);
        }
    }

    /// A stable stand-in for the fuzzer: mutations of the seeds (bytes flipped, inserted,
    /// deleted, spliced from another seed), from a fixed-seed xorshift generator so a failure
    /// can be replayed. `FUZZ_ITERATIONS` sets how many.
    #[test]
    fn mutations_pass() {
        let seeds = seeds();
        let iterations = std::env::var("FUZZ_ITERATIONS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(20_000);
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        const INTERESTING: &[u8] = b"\n\r\0<|=> a;\xff\xfe";
        for _ in 0..iterations {
            let mut data = seeds[next() as usize % seeds.len()].clone();
            for _ in 0..1 + next() % 8 {
                let at = next() as usize % (data.len() + 1);
                let byte = INTERESTING[next() as usize % INTERESTING.len()];
                match next() % 4 {
                    0 if at < data.len() => data[at] = byte,
                    1 if at < data.len() => {
                        data.remove(at);
                    }
                    2 => {
                        let other = &seeds[next() as usize % seeds.len()];
                        let from = next() as usize % other.len();
                        let len = (next() as usize % 16).min(other.len() - from);
                        data.splice(at..at, other[from..from + len].iter().copied());
                    }
                    _ => data.insert(at, byte),
                }
            }
            let result = std::panic::catch_unwind(|| check(&data));
            assert!(result.is_ok(), "check failed on input {data:?}");
        }
    }

    /// Mutations of `seeds` (bytes set, deleted, inserted from `interesting`, spliced from
    /// another seed), from a fixed-seed xorshift generator so a failure can be replayed, each
    /// run through `check`. `FUZZ_ITERATIONS` sets how many (`default` without it).
    fn run_mutations(seeds: &[Vec<u8>], interesting: &[u8], default: usize, check: fn(&[u8])) {
        let iterations = std::env::var("FUZZ_ITERATIONS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(default);
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for seed in seeds {
            check(seed);
        }
        for _ in 0..iterations {
            let mut data = seeds[next() as usize % seeds.len()].clone();
            for _ in 0..1 + next() % 8 {
                let at = next() as usize % (data.len() + 1);
                let byte = interesting[next() as usize % interesting.len()];
                match next() % 4 {
                    0 if at < data.len() => data[at] = byte,
                    1 if at < data.len() => {
                        data.remove(at);
                    }
                    2 => {
                        let other = &seeds[next() as usize % seeds.len()];
                        let from = next() as usize % other.len().max(1);
                        let len = (next() as usize % 24).min(other.len() - from.min(other.len()));
                        data.splice(at..at, other[from..from + len].iter().copied());
                    }
                    _ => data.insert(at, byte),
                }
            }
            let result = std::panic::catch_unwind(|| check(&data));
            assert!(
                result.is_ok(),
                "check failed on input {:?}",
                String::from_utf8_lossy(&data)
            );
        }
    }

    fn manifest_seeds() -> Vec<Vec<u8>> {
        let mut seeds: Vec<Vec<u8>> = [
            include_str!("../../golden-paths/rust-service/1.1.0/bundle.toml"),
            include_str!("../../tests/fixtures/bundles/greeter/bundle.toml"),
            include_str!("../../tests/fixtures/bundles/minimal/bundle.toml"),
            include_str!("../../tests/fixtures/broken/unknown-key/bundle.toml"),
            include_str!("../../tests/fixtures/broken/unknown-type/bundle.toml"),
            "[bundle]\nname = \"x\"\nversion = \"1.0.0\"\n[[migrations]]\nversion = \"1.0.0\"\ndelete = \"../.goldpath.toml\"\n",
            "[bundle]\nname = \"x\"\nversion = \"1.0.0\"\n[[questions]]\nname = \"q\"\ntype = \"string\"\nvalidation = { regex = \"(\" }\n",
            "[files]\nlocked = [\"[\"]\n",
            "",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        seeds.push(b"[bundle]\nname = \"\xff\"\n".to_vec());
        seeds
    }

    #[test]
    fn manifest_mutations_pass() {
        run_mutations(
            &manifest_seeds(),
            b"\n[]=\"'{}%#.,:\\ \0aZ9\xff",
            10_000,
            check_manifest,
        );
    }

    fn answers_seeds() -> Vec<Vec<u8>> {
        [
            "# Written by goldpath\n[bundle]\nname = \"svc\"\nversion = \"1.0.0\"\nsource = \"builtin\"\n\n[answers]\nservice_name = \"orders-api\"\nport = 8080\nslo = 99.9\ndatabase = false\nenvs = [\"dev\", \"prod\"]\n",
            "[bundle]\nname = \"svc\"\nversion = \"2.0.0-rc.1+build\"\nsource = \"file:///tmp/t\"\ncommit = \"0123abcd\"\n\n[answers]\nx = 1e300\ny = nan\nz = -inf\n\n[upgrade]\nversion = \"3.0.0\"\nsource = \"builtin\"\nconflicts = [\"a.txt\"]\nmarker_sizes = { \"a.txt\" = 9 }\ndecisions = []\ntouched = [\"a.txt\", \"b\"]\nstarted_dirty = true\nmessage = \"\"\"\nmulti\nline\"\"\"\n[upgrade.answers]\nq = \"\\u00e9\"\n",
            "[bundle]\nname = \"svc\"\n",
            "[answers]\nkey = { inline = 1 }\n",
            "[bundle]\nname = \"svc\"\nversion = \"1.0.0\"\nsource = \"builtin\"\nunknown = 1\n",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect()
    }

    #[test]
    fn answers_mutations_pass() {
        run_mutations(
            &answers_seeds(),
            b"\n[]=\"'{}#.,: \\0aZ9-+e\xff",
            20_000,
            check_answers,
        );
    }

    fn path_seeds() -> Vec<Vec<u8>> {
        [
            "a/b.txt",
            "README.md",
            ".github/workflows/ci.yaml",
            "caf\u{e9}/e\u{301}.txt",
            "../x",
            "a\\..\\b",
            "C:\\x",
            "\\\\host\\x",
            "C:x",
            "/abs",
            "con.txt",
            "COM\u{b9}",
            "lpt1/x",
            ".git/hooks/pre-commit",
            ".git./x",
            ".git /x",
            "GIT~1/x",
            ".g\u{200c}it/x",
            ".git::$INDEX_ALLOCATION/x",
            "a:stream",
            "name. /x",
            "-rf",
            "a\nb\r\t\u{7f}",
            "\u{feff}x",
            "{% if a == \"b\" %}x{% endif %}/y.tera",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect()
    }

    #[test]
    fn path_mutations_pass() {
        run_mutations(
            &path_seeds(),
            b"/\\.: *?\"<>|\n\t\0-~1$aCcOoNnGgIiTt\xe2\x80\x8b\xef\xbb\xbf",
            50_000,
            check_path,
        );
    }

    fn template_seeds() -> Vec<Vec<u8>> {
        let mut seeds: Vec<Vec<u8>> = [
            include_str!("../../golden-paths/rust-service/1.1.0/template/Dockerfile.tera"),
            include_str!("../../tests/fixtures/bundles/greeter/template/README.md.tera"),
            "{{ x }} and {{- xs | join(sep=\", \") -}}\n",
            "{% for i in xs %}\n  - {{ i }} is a long enough line of text\n{% endfor %}\n",
            "{% if x == \"v\" -%}\n  yes, x is v, and this text is long\n{%- else %}no{% endif %}",
            "{% raw %}{{ not a tag }} and long enough raw text{% endraw %}\n{# comment #}",
            "{% macro m(a) %}[{{ a }}] with text long enough{% endmacro m %}{{ self::m(a=x) }}",
            "{% filter upper %}text to shout, long enough to fold{% endfilter %}",
            "{% set y = 'a %} b' %}{{ y }} and the rest of the line",
            "hello {{ \"abc",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        seeds.push("text \u{E000}0\u{E000} {{ x }}".as_bytes().to_vec());
        seeds
    }

    #[test]
    fn template_mutations_pass() {
        run_mutations(
            &template_seeds(),
            b"{}%#-\"'` \n\txs|()=!.,0aZ\xe2\x80\x83",
            10_000,
            check_template,
        );
    }
}
