//! A set of globs matched by shape, so that a large change set is matched quickly.
//!
//! A monorepo's changed files cluster in directories, and most filter patterns look at only part
//! of a path. Each glob is sorted by what its match depends on:
//! - `dir/**`-shaped (`backend/**`, `services/s0[0-4]/**`): the first segments of the path's
//!   directory only;
//! - `dir/name`-shaped without `**` (`docker/*.Dockerfile`, `services/*/src/m3*/*.py`): the
//!   whole directory, then the file name;
//! - `**/name`-shaped (`**/*.py`): the file name only;
//! - without any `/` (`*`, `Makefile`): root-level files only;
//! - everything else: the whole path.
//!
//! What depends on the directory is answered once per distinct directory and cached (git lists
//! a directory's files one after the other, so the last answer is tried first); names are
//! matched by a [`NameSet`], mostly without regexes. The answers are the same as matching every
//! glob against the whole path (tested against that below). With `literal_separator`, no `*`,
//! `?` or class matches a `/`, so a glob's segments match the path's segments one for one.

use std::collections::HashMap;

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};

use crate::segment::{NameSet, NameSetBuilder, SegmentGlob};

/// Builds a glob with dorny's semantics (`*` stays within a segment).
pub fn build_glob(glob: &str) -> Result<Glob, globset::Error> {
    GlobBuilder::new(glob)
        .literal_separator(true)
        .backslash_escape(true)
        .empty_alternates(true)
        .build()
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Shape {
    /// `prefix/**`, with the prefix's number of segments.
    Directory { prefix: String, segments: usize },
    /// `directory/name`, neither with `**`.
    InDirectory { directory: String, name: String },
    /// `**/name`.
    FileName(String),
    /// No `/`: only root-level paths can match.
    Root,
    /// Anything else.
    Whole,
}

fn shape(glob: &str) -> Shape {
    let plain = !glob.contains(['{', '}', '\\']) && !glob.contains("[/");
    if !plain {
        return Shape::Whole;
    }
    if !glob.contains('/') && !glob.contains("**") {
        return Shape::Root;
    }
    if let Some(prefix) = glob.strip_suffix("/**")
        && !prefix.is_empty()
        && !prefix.contains("**")
    {
        return Shape::Directory {
            prefix: prefix.to_owned(),
            segments: prefix.split('/').count(),
        };
    }
    if let Some(name) = glob.strip_prefix("**/")
        && !name.is_empty()
        && !name.contains('/')
        && !name.contains("**")
    {
        return Shape::FileName(name.to_owned());
    }
    if !glob.contains("**")
        && let Some((directory, name)) = glob.rsplit_once('/')
        && !directory.is_empty()
        && !name.is_empty()
    {
        return Shape::InDirectory {
            directory: directory.to_owned(),
            name: name.to_owned(),
        };
    }
    Shape::Whole
}

/// One group: a set and, for each of its globs, the caller's index (and prefix length).
#[derive(Debug)]
struct Group {
    set: GlobSet,
    ids: Vec<(usize, usize)>,
}

#[derive(Debug)]
struct GroupBuilder {
    builder: GlobSetBuilder,
    ids: Vec<(usize, usize)>,
}

impl Default for GroupBuilder {
    fn default() -> Self {
        Self {
            builder: GlobSetBuilder::new(),
            ids: Vec::new(),
        }
    }
}

impl GroupBuilder {
    fn add(&mut self, glob: &str, id: usize, segments: usize) -> Result<(), globset::Error> {
        self.builder.add(build_glob(glob)?);
        self.ids.push((id, segments));
        Ok(())
    }

    fn build(self) -> Result<Group, globset::Error> {
        Ok(Group {
            set: self.builder.build()?,
            ids: self.ids,
        })
    }
}

/// Globs, grouped by shape.
#[derive(Debug)]
pub struct ShapedGlobs {
    directory: Group,
    /// The directory parts of `dir/name` globs; `ids` index `in_directory_names`.
    in_directory: Group,
    /// The name parts of `dir/name` globs, with the caller's index.
    in_directory_names: Vec<(SegmentGlob, usize)>,
    file_name: NameSet,
    root: Group,
    whole: Group,
    len: usize,
}

/// Globs being added to a [`ShapedGlobs`].
#[derive(Debug, Default)]
pub struct ShapedGlobsBuilder {
    directory: GroupBuilder,
    in_directory: GroupBuilder,
    in_directory_names: Vec<(SegmentGlob, usize)>,
    file_name: NameSetBuilder,
    root: GroupBuilder,
    whole: GroupBuilder,
    len: usize,
}

impl ShapedGlobsBuilder {
    /// Adds a glob; its index is the number of globs added before it.
    pub fn add(&mut self, glob: &str) -> Result<usize, globset::Error> {
        let id = self.len;
        match shape(glob) {
            Shape::Directory { prefix, segments } => self.directory.add(&prefix, id, segments)?,
            Shape::InDirectory { directory, name } => {
                let index = self.in_directory_names.len();
                self.in_directory_names.push((SegmentGlob::new(&name)?, id));
                self.in_directory.add(&directory, index, 0)?;
            }
            Shape::FileName(name) => self.file_name.add(&name, id)?,
            Shape::Root => self.root.add(glob, id, 0)?,
            Shape::Whole => self.whole.add(glob, id, 0)?,
        }
        self.len += 1;
        Ok(id)
    }

    /// Compiles the groups.
    pub fn build(self) -> Result<ShapedGlobs, globset::Error> {
        Ok(ShapedGlobs {
            directory: self.directory.build()?,
            in_directory: self.in_directory.build()?,
            in_directory_names: self.in_directory_names,
            file_name: self.file_name.build()?,
            root: self.root.build()?,
            whole: self.whole.build()?,
            len: self.len,
        })
    }
}

/// What a directory decides for the files in it.
#[derive(Debug, Default)]
struct DirectoryAnswer {
    /// The `dir/**` globs that match.
    globs: Vec<usize>,
    /// The `dir/name` globs whose directory part matches (indices of `in_directory_names`).
    in_directory: Vec<usize>,
}

/// The state of matching: the directory answers seen so far.
#[derive(Debug, Default)]
pub struct MatchCache {
    answers: Vec<DirectoryAnswer>,
    index: HashMap<String, usize>,
    /// The directory of the previous path and its answer.
    last: Option<(String, usize)>,
    scratch: Vec<usize>,
}

impl MatchCache {
    /// The index of `directory`'s answer, computing it the first time.
    fn answer(
        &mut self,
        directory: &str,
        compute: impl FnOnce(&str, &mut Vec<usize>) -> DirectoryAnswer,
    ) -> usize {
        if let Some((last, answer)) = &self.last
            && last == directory
        {
            return *answer;
        }
        let answer = match self.index.get(directory) {
            Some(&answer) => answer,
            None => {
                let answer = self.answers.len();
                self.answers.push(compute(directory, &mut self.scratch));
                self.index.insert(directory.to_owned(), answer);
                answer
            }
        };
        match &mut self.last {
            Some((last, last_answer)) => {
                last.clear();
                last.push_str(directory);
                *last_answer = answer;
            }
            None => self.last = Some((directory.to_owned(), answer)),
        }
        answer
    }
}

impl ShapedGlobs {
    /// How many globs were added.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no glob was added.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The indices of the globs `path` matches, into `hits` (cleared first).
    pub fn matches_into(&self, path: &str, cache: &mut MatchCache, hits: &mut Vec<usize>) {
        hits.clear();
        let (directory, name) = match path.rsplit_once('/') {
            Some((directory, name)) => (Some(directory), name),
            None => (None, path),
        };
        match directory {
            Some(directory)
                if !self.directory.ids.is_empty() || !self.in_directory.ids.is_empty() =>
            {
                let answer = cache.answer(directory, |directory, scratch| {
                    self.directory_answer(directory, scratch)
                });
                let answer = &cache.answers[answer];
                hits.extend_from_slice(&answer.globs);
                for &index in &answer.in_directory {
                    let (glob, id) = &self.in_directory_names[index];
                    if glob.is_match(name) {
                        hits.push(*id);
                    }
                }
            }
            Some(_) => {}
            None => add(&self.root, path, &mut cache.scratch, hits),
        }
        self.file_name.matches_into(name, &mut cache.scratch, hits);
        add(&self.whole, path, &mut cache.scratch, hits);
    }

    /// The directory-shaped globs that match files in `directory`: a glob whose prefix has `k`
    /// segments matches when the directory's first `k` segments match it. And the `dir/name`
    /// globs whose directory part matches `directory` whole.
    fn directory_answer(&self, directory: &str, scratch: &mut Vec<usize>) -> DirectoryAnswer {
        let mut answer = DirectoryAnswer::default();
        if !self.directory.ids.is_empty() {
            let ends = directory
                .match_indices('/')
                .map(|(i, _)| i)
                .chain(std::iter::once(directory.len()));
            for (index, end) in ends.enumerate() {
                let segments = index + 1;
                self.directory.set.matches_into(&directory[..end], scratch);
                answer.globs.extend(
                    scratch
                        .iter()
                        .map(|&i| self.directory.ids[i])
                        .filter(|&(_, k)| k == segments)
                        .map(|(id, _)| id),
                );
            }
        }
        if !self.in_directory.ids.is_empty() {
            self.in_directory.set.matches_into(directory, scratch);
            answer
                .in_directory
                .extend(scratch.iter().map(|&i| self.in_directory.ids[i].0));
        }
        answer
    }
}

/// Appends the globs of `group` that `text` matches.
fn add(group: &Group, text: &str, scratch: &mut Vec<usize>, hits: &mut Vec<usize>) {
    if group.ids.is_empty() {
        return;
    }
    group.set.matches_into(text, scratch);
    hits.extend(scratch.iter().map(|&i| group.ids[i].0));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_are_sorted_by_shape() {
        assert_eq!(
            shape("services/s0[0-4]/**"),
            Shape::Directory {
                prefix: "services/s0[0-4]".into(),
                segments: 2
            }
        );
        assert_eq!(shape("**/*.py"), Shape::FileName("*.py".into()));
        assert_eq!(shape("*.md"), Shape::Root);
        assert_eq!(shape("a/**/b/**"), Shape::Whole);
        assert_eq!(shape("{a,b/c}/**"), Shape::Whole);
        assert_eq!(shape("**/x/*.py"), Shape::Whole);
        assert_eq!(
            shape("services/*/src/m3*/*.py"),
            Shape::InDirectory {
                directory: "services/*/src/m3*".into(),
                name: "*.py".into()
            }
        );
        assert_eq!(shape("/x"), Shape::Whole);
    }

    /// The shaped answer equals matching each glob against the whole path.
    #[test]
    fn same_answers_as_whole_path_matching() {
        let globs = [
            "backend/**",
            "services/s0[0-4]/**",
            "services/*/src/**",
            "**/*.py",
            "**/test_*.py",
            "*",
            ".*",
            "*.md",
            "Makefile",
            "docs/a b.md",
            "services/*/src/m3*/*.py",
            "a/**/z",
            "**/.github/**",
            "x?/**",
            "**/Dockerfile",
            "lib/v[0-9]/*.js",
            "docker/s0?.Dockerfile",
            "docker/*",
            "*/*.md",
            "**/test_*.py",
            "**/[!.]*",
        ];
        let paths = [
            "backend/app.py",
            "backend",
            "Makefile",
            "README.md",
            ".env",
            "services/s03/src/m31/f.py",
            "services/s07/src/m01/test_x.py",
            "services/s07/lib/x.ts",
            "a/b/c/z",
            "a/z",
            "docs/a b.md",
            ".github/workflows/ci.yml",
            "x1/y",
            "xy/z/w",
            "deep/Dockerfile",
            "Dockerfile",
            "lib/v1/index.js",
            "docker/s01.Dockerfile",
            "docker/sub/s01.Dockerfile",
            "docs/x.md",
            "services/s03/src/m31/test_f.py",
            "lib/v1/index.js",
            "backend/app.py",
        ];
        let mut builder = ShapedGlobsBuilder::default();
        let mut reference = Vec::new();
        for glob in globs {
            builder.add(glob).expect("valid");
            reference.push(build_glob(glob).expect("valid").compile_matcher());
        }
        let shaped = builder.build().expect("compiles");
        let mut cache = MatchCache::default();
        let mut hits = Vec::new();
        for path in paths {
            shaped.matches_into(path, &mut cache, &mut hits);
            hits.sort_unstable();
            let expected: Vec<usize> = (0..globs.len())
                .filter(|&i| reference[i].is_match(path))
                .collect();
            assert_eq!(hits, expected, "{path}");
        }
    }
}
