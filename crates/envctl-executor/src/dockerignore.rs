//! `.dockerignore`, with the Docker Engine's own rules: moby's `ignorefile.ReadAll`
//! (comments, `!` exceptions, patterns cleaned as Go's `filepath.Clean`, a leading
//! `/` dropped) and `patternmatcher` (`*`, `?`, `[...]`, `\` escapes, `**` across
//! directories, the last matching pattern wins, a directory's match covers what is
//! inside it). Written from the rules, checked against moby's own test table.

use regex::Regex;

/// A `.dockerignore` pattern that Go's `filepath.Match` would reject.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid `.dockerignore` pattern `{pattern}`")]
pub struct BadPattern {
    pub pattern: String,
}

/// The lines of a `.dockerignore` file as the patterns moby's `ignorefile.ReadAll`
/// returns.
pub fn read_patterns(text: &str) -> Vec<String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut patterns = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        let mut pattern = line.trim();
        if pattern.is_empty() {
            continue;
        }
        let invert = pattern.starts_with('!');
        if invert {
            pattern = pattern[1..].trim();
        }
        let mut cleaned = String::new();
        if !pattern.is_empty() {
            cleaned = clean(pattern);
            if cleaned.len() > 1 && cleaned.starts_with('/') {
                cleaned.remove(0);
            }
        }
        patterns.push(if invert {
            format!("!{cleaned}")
        } else {
            cleaned
        });
    }
    patterns
}

/// Go's `path.Clean`: one slash between elements, no `.`, `..` resolved, no
/// trailing slash; `.` for nothing.
pub fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|last| *last != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            _ => parts.push(part),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

#[derive(Debug, Clone)]
enum Kind {
    Exact,
    /// `dir/**`: the text before the `**`.
    Prefix(String),
    /// `**…`: the text after the `**`.
    Suffix(String),
    Regex(Regex),
}

/// One cleaned pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    cleaned: String,
    exclusion: bool,
    kind: Kind,
}

impl Pattern {
    /// The pattern without its `!`.
    pub fn as_str(&self) -> &str {
        &self.cleaned
    }

    /// A `!` exception.
    pub fn is_exclusion(&self) -> bool {
        self.exclusion
    }

    fn matches(&self, path: &str) -> bool {
        match &self.kind {
            Kind::Exact => path == self.cleaned,
            Kind::Prefix(prefix) => path.starts_with(prefix.as_str()),
            Kind::Suffix(suffix) => {
                path.ends_with(suffix.as_str())
                    || suffix.strip_prefix('/').is_some_and(|rest| path == rest)
            }
            Kind::Regex(regex) => regex.is_match(path),
        }
    }
}

/// The patterns of one `.dockerignore`, in order.
#[derive(Debug, Clone, Default)]
pub struct PatternMatcher {
    patterns: Vec<Pattern>,
    exclusions: bool,
}

impl PatternMatcher {
    /// moby's `patternmatcher.New`: each pattern trimmed and cleaned, empty ones
    /// dropped, a lone `!` and malformed ones rejected.
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<Self, BadPattern> {
        let mut matcher = Self::default();
        for pattern in patterns {
            let original = pattern.as_ref();
            let trimmed = original.trim();
            if trimmed.is_empty() {
                continue;
            }
            let mut cleaned = clean(trimmed);
            let exclusion = cleaned.starts_with('!');
            if exclusion {
                if cleaned.len() == 1 {
                    return Err(BadPattern {
                        pattern: original.to_owned(),
                    });
                }
                cleaned.remove(0);
                matcher.exclusions = true;
            }
            if !valid_glob(&cleaned) {
                return Err(BadPattern {
                    pattern: original.to_owned(),
                });
            }
            let kind = compile(&cleaned).ok_or_else(|| BadPattern {
                pattern: original.to_owned(),
            })?;
            matcher.patterns.push(Pattern {
                cleaned,
                exclusion,
                kind,
            });
        }
        Ok(matcher)
    }

    /// Appends a pattern (already clean), as the docker CLI appends `!Dockerfile`.
    pub fn push(&mut self, pattern: &str) -> Result<(), BadPattern> {
        let added = Self::new(&[pattern])?;
        self.exclusions |= added.exclusions;
        self.patterns.extend(added.patterns);
        Ok(())
    }

    pub fn patterns(&self) -> &[Pattern] {
        &self.patterns
    }

    /// Whether any pattern is a `!` exception.
    pub fn has_exclusions(&self) -> bool {
        self.exclusions
    }

    /// moby's `MatchesOrParentMatches`: whether `path` (relative, `/`-separated) is
    /// ignored: the last pattern that matches it or one of its parent directories
    /// decides.
    pub fn matches(&self, path: &str) -> bool {
        let path = clean(path);
        if path == "." {
            return false;
        }
        let parents: Vec<&str> = match path.rfind('/') {
            Some(end) => path[..end].split('/').collect(),
            None => Vec::new(),
        };
        let mut matched = false;
        for pattern in &self.patterns {
            if pattern.exclusion != matched {
                continue;
            }
            let mut hit = pattern.matches(&path);
            if !hit {
                hit = (1..=parents.len()).any(|n| pattern.matches(&parents[..n].join("/")));
            }
            if hit {
                matched = !pattern.exclusion;
            }
        }
        matched
    }
}

/// Characters a regex needs escaped that are plain in a glob (moby's
/// `shouldEscape`).
fn should_escape(ch: char) -> bool {
    ".+()|{}$".contains(ch)
}

/// moby's `Pattern.compile`: an exact, prefix or suffix match when the pattern
/// allows, else a regex. `None` when the regex does not compile.
fn compile(pattern: &str) -> Option<Kind> {
    #[derive(PartialEq)]
    enum Detected {
        Exact,
        Prefix,
        Suffix,
        Regex,
    }
    let mut regex = String::from("^");
    let mut detected = Detected::Exact;
    let chars: Vec<char> = pattern.chars().collect();
    let mut index = 0;
    let mut position = 0;
    while index < chars.len() {
        let ch = chars[index];
        index += 1;
        if ch == '*' {
            if chars.get(index) == Some(&'*') {
                index += 1;
                if chars.get(index) == Some(&'/') {
                    index += 1;
                }
                if index == chars.len() {
                    if detected == Detected::Exact {
                        detected = Detected::Prefix;
                    } else {
                        regex.push_str(".*");
                        detected = Detected::Regex;
                    }
                } else {
                    regex.push_str("(.*/)?");
                    detected = Detected::Regex;
                }
                if position == 0 {
                    detected = Detected::Suffix;
                }
            } else {
                regex.push_str("[^/]*");
                detected = Detected::Regex;
            }
        } else if ch == '?' {
            regex.push_str("[^/]");
            detected = Detected::Regex;
        } else if should_escape(ch) {
            regex.push('\\');
            regex.push(ch);
        } else if ch == '\\' {
            if let Some(&next) = chars.get(index) {
                index += 1;
                if next.is_ascii_alphanumeric() {
                    regex.push('\\');
                    regex.push(next);
                } else {
                    regex.push_str(&regex::escape(&next.to_string()));
                }
                detected = Detected::Regex;
            } else {
                regex.push_str("\\\\");
            }
        } else if ch == '[' || ch == ']' {
            regex.push(ch);
            detected = Detected::Regex;
        } else {
            regex.push(ch);
        }
        position += 1;
    }
    Some(match detected {
        Detected::Exact => Kind::Exact,
        Detected::Prefix => Kind::Prefix(pattern[..pattern.len() - 2].to_owned()),
        Detected::Suffix => Kind::Suffix(pattern[2..].to_owned()),
        Detected::Regex => {
            regex.push('$');
            Kind::Regex(Regex::new(&regex).ok()?)
        }
    })
}

/// Go's `filepath.Match` syntax check: every `[` closed, ranges well formed, no
/// trailing `\`.
fn valid_glob(pattern: &str) -> bool {
    let chars: Vec<char> = pattern.chars().collect();
    let mut index = 0;
    // One class character, possibly escaped; `-` and `]` may not stand alone.
    let escaped = |index: &mut usize| -> bool {
        match chars.get(*index) {
            None | Some('-' | ']') => false,
            Some('\\') => {
                *index += 1;
                if chars.get(*index).is_none() {
                    return false;
                }
                *index += 1;
                true
            }
            Some(_) => {
                *index += 1;
                true
            }
        }
    };
    while index < chars.len() {
        match chars[index] {
            '\\' => {
                if index + 1 >= chars.len() {
                    return false;
                }
                index += 2;
            }
            '[' => {
                index += 1;
                if chars.get(index) == Some(&'^') {
                    index += 1;
                }
                let mut ranges = 0;
                loop {
                    if chars.get(index) == Some(&']') && ranges > 0 {
                        index += 1;
                        break;
                    }
                    if !escaped(&mut index) {
                        return false;
                    }
                    if chars.get(index) == Some(&'-') {
                        index += 1;
                        if !escaped(&mut index) {
                            return false;
                        }
                    }
                    ranges += 1;
                }
            }
            _ => index += 1,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// moby/patternmatcher `TestMatches`: one pattern, one path.
    const MATCHES: &[(&str, &str, bool)] = &[
        ("**", "file", true),
        ("**", "file/", true),
        ("**/", "file", true),
        ("**/", "file/", true),
        ("**", "/", true),
        ("**/", "/", true),
        ("**", "dir/file", true),
        ("**/", "dir/file", true),
        ("**", "dir/file/", true),
        ("**/", "dir/file/", true),
        ("**/**", "dir/file", true),
        ("**/**", "dir/file/", true),
        ("dir/**", "dir/file", true),
        ("dir/**", "dir/file/", true),
        ("dir/**", "dir/dir2/file", true),
        ("dir/**", "dir/dir2/file/", true),
        ("**/dir", "dir", true),
        ("**/dir", "dir/file", true),
        ("**/dir2/*", "dir/dir2/file", true),
        ("**/dir2/*", "dir/dir2/file/", true),
        ("**/dir2/**", "dir/dir2/dir3/file", true),
        ("**/dir2/**", "dir/dir2/dir3/file/", true),
        ("**file", "file", true),
        ("**file", "dir/file", true),
        ("**/file", "dir/file", true),
        ("**file", "dir/dir/file", true),
        ("**/file", "dir/dir/file", true),
        ("**/file*", "dir/dir/file", true),
        ("**/file*", "dir/dir/file.txt", true),
        ("**/file*txt", "dir/dir/file.txt", true),
        ("**/file*.txt", "dir/dir/file.txt", true),
        ("**/file*.txt*", "dir/dir/file.txt", true),
        ("**/**/*.txt", "dir/dir/file.txt", true),
        ("**/**/*.txt2", "dir/dir/file.txt", false),
        ("**/*.txt", "file.txt", true),
        ("**/**/*.txt", "file.txt", true),
        ("a**/*.txt", "a/file.txt", true),
        ("a**/*.txt", "a/dir/file.txt", true),
        ("a**/*.txt", "a/dir/dir/file.txt", true),
        ("a/*.txt", "a/dir/file.txt", false),
        ("a/*.txt", "a/file.txt", true),
        ("a/*.txt**", "a/file.txt", true),
        ("a[b-d]e", "ae", false),
        ("a[b-d]e", "ace", true),
        ("a[b-d]e", "aae", false),
        ("a[^b-d]e", "aze", true),
        (".*", ".foo", true),
        (".*", "foo", false),
        ("abc.def", "abcdef", false),
        ("abc.def", "abc.def", true),
        ("abc.def", "abcZdef", false),
        ("abc?def", "abcZdef", true),
        ("abc?def", "abcdef", false),
        ("a\\\\", "a\\", true),
        ("**/foo/bar", "foo/bar", true),
        ("**/foo/bar", "dir/foo/bar", true),
        ("**/foo/bar", "dir/dir2/foo/bar", true),
        ("abc/**", "abc", false),
        ("abc/**", "abc/def", true),
        ("abc/**", "abc/def/ghi", true),
        ("**/.foo", ".foo", true),
        ("**/.foo", "bar.foo", false),
        ("a(b)c/def", "a(b)c/def", true),
        ("a(b)c/def", "a(b)c/xyz", false),
        ("a.|)$(}+{bc", "a.|)$(}+{bc", true),
        (
            "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
            "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
            true,
        ),
        (
            "dist/*.whl",
            "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
            true,
        ),
        ("a\\*b", "a*b", true),
    ];

    /// moby/patternmatcher `TestMatches`' multi-pattern cases and the folder /
    /// exception cases of its other tests.
    const MULTI: &[(&[&str], &str, bool)] = &[
        (&["**", "!util/docker/web"], "util/docker/web/foo", false),
        (
            &["**", "!util/docker/web", "util/docker/web/foo"],
            "util/docker/web/foo",
            true,
        ),
        (
            &[
                "**",
                "!dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
            ],
            "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
            false,
        ),
        (
            &["**", "!dist/*.whl"],
            "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
            false,
        ),
        (&["*"], "fileutils.go", true),
        (&["*.go"], "fileutils.go", true),
        (&["!fileutils.go", "*.go"], "fileutils.go", true),
        (&["docs", "!docs/README.md"], "docs/README.md", false),
        (&["docs/", "!docs/README.md"], "docs/README.md", false),
        (&["docs/*", "!docs/README.md"], "docs/README.md", false),
        (&["*.go", "!fileutils.go"], "fileutils.go", false),
        (&["*.go"], ".", false),
        (&[], "/any/path/there", false),
    ];

    /// moby/patternmatcher `matchTests` (from Go's `filepath.Match` tests):
    /// pattern, path, match, malformed.
    const GLOB: &[(&str, &str, bool, bool)] = &[
        ("abc", "abc", true, false),
        ("*", "abc", true, false),
        ("*c", "abc", true, false),
        ("a*", "a", true, false),
        ("a*", "abc", true, false),
        ("a*", "ab/c", true, false),
        ("a*/b", "abc/b", true, false),
        ("a*/b", "a/c/b", false, false),
        ("a*b*c*d*e*/f", "axbxcxdxe/f", true, false),
        ("a*b*c*d*e*/f", "axbxcxdxexxx/f", true, false),
        ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false, false),
        ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", false, false),
        ("a*b?c*x", "abxbbxdbxebxczzx", true, false),
        ("a*b?c*x", "abxbbxdbxebxczzy", false, false),
        ("ab[c]", "abc", true, false),
        ("ab[b-d]", "abc", true, false),
        ("ab[e-g]", "abc", false, false),
        ("ab[^c]", "abc", false, false),
        ("ab[^b-d]", "abc", false, false),
        ("ab[^e-g]", "abc", true, false),
        ("a\\*b", "a*b", true, false),
        ("a\\*b", "ab", false, false),
        ("a?b", "a☺b", true, false),
        ("a[^a]b", "a☺b", true, false),
        ("a???b", "a☺b", false, false),
        ("a[^a][^a][^a]b", "a☺b", false, false),
        ("[a-ζ]*", "α", true, false),
        ("*[a-ζ]", "A", false, false),
        ("a?b", "a/b", false, false),
        ("a*b", "a/b", false, false),
        ("[\\]a]", "]", true, false),
        ("[\\-]", "-", true, false),
        ("[x\\-]", "x", true, false),
        ("[x\\-]", "-", true, false),
        ("[x\\-]", "z", false, false),
        ("[\\-x]", "x", true, false),
        ("[\\-x]", "-", true, false),
        ("[\\-x]", "a", false, false),
        ("[]a]", "]", false, true),
        ("[-]", "-", false, true),
        ("[x-]", "x", false, true),
        ("[x-]", "-", false, true),
        ("[x-]", "z", false, true),
        ("[-x]", "x", false, true),
        ("[-x]", "-", false, true),
        ("[-x]", "a", false, true),
        ("\\", "a", false, true),
        ("[a-b-c]", "a", false, true),
        ("[", "a", false, true),
        ("[^", "a", false, true),
        ("[^bc", "a", false, true),
        ("a[", "a", false, true),
        ("a[", "ab", false, true),
        ("*x", "xxx", true, false),
    ];

    #[test]
    fn moby_single_pattern_table() {
        for &(pattern, path, expected) in MATCHES {
            let matcher = PatternMatcher::new(&[pattern]).expect("valid pattern");
            assert_eq!(
                matcher.matches(path),
                expected,
                "pattern {pattern:?} path {path:?}"
            );
        }
    }

    #[test]
    fn moby_multi_pattern_table() {
        for &(patterns, path, expected) in MULTI {
            let matcher = PatternMatcher::new(patterns).expect("valid patterns");
            assert_eq!(
                matcher.matches(path),
                expected,
                "patterns {patterns:?} path {path:?}"
            );
        }
    }

    #[test]
    fn go_filepath_match_table() {
        for &(pattern, path, expected, malformed) in GLOB {
            match PatternMatcher::new(&[pattern]) {
                Ok(matcher) => {
                    assert!(!malformed, "pattern {pattern:?} should be rejected");
                    assert_eq!(
                        matcher.matches(path),
                        expected,
                        "pattern {pattern:?} path {path:?}"
                    );
                }
                Err(_) => assert!(malformed, "pattern {pattern:?} rejected"),
            }
        }
    }

    #[test]
    fn lone_exclamation_is_rejected() {
        assert!(PatternMatcher::new(&["!"]).is_err());
        let matcher = PatternMatcher::new(&["docs", "  !docs/README.md  ", ""]).expect("valid");
        assert_eq!(matcher.patterns().len(), 2);
        assert!(matcher.has_exclusions());
    }

    #[test]
    fn ignore_file_lines_are_cleaned() {
        let text = "\u{feff}# comment\n\n  /foo/../bar/  \n!./keep\n ! /abs\n./a//b/.\n#x\n/\n";
        assert_eq!(
            read_patterns(text),
            vec!["bar", "!keep", "!abs", "a/b", "/"]
        );
    }

    #[test]
    fn clean_is_go_path_clean() {
        for (input, expected) in [
            ("", "."),
            ("a/../..", ".."),
            ("/../a", "/a"),
            ("./a/./b/", "a/b"),
            ("a//b", "a/b"),
            ("/", "/"),
            ("../../x", "../../x"),
        ] {
            assert_eq!(clean(input), expected, "{input:?}");
        }
    }
}
