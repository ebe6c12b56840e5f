//! A set of globs matched by shape, so that a large change set is matched quickly.
//!
//! A monorepo's changed files cluster in directories, and most filter patterns look at only part
//! of a path. Each glob is sorted by what its match depends on:
//! - `dir/**`-shaped (`backend/**`, `services/s0[0-4]/**`): the first segments of the path's
//!   directory only; answered once per distinct directory and cached;
//! - `**/name`-shaped (`**/*.py`): the file name only;
//! - without any `/` (`*`, `Makefile`): root-level files only;
//! - everything else: the whole path.
//!
//! Each group is one `GlobSet`; the answers are the same as matching every glob against the
//! whole path (tested against that below).

use std::collections::HashMap;

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};

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
    file_name: Group,
    root: Group,
    whole: Group,
    len: usize,
}

/// Globs being added to a [`ShapedGlobs`].
#[derive(Debug, Default)]
pub struct ShapedGlobsBuilder {
    directory: GroupBuilder,
    file_name: GroupBuilder,
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
            Shape::FileName(name) => self.file_name.add(&name, id, 0)?,
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
            file_name: self.file_name.build()?,
            root: self.root.build()?,
            whole: self.whole.build()?,
            len: self.len,
        })
    }
}

/// The per-thread state of matching: the directory answers seen so far.
#[derive(Debug, Default)]
pub struct MatchCache<'p> {
    directories: HashMap<&'p str, Vec<usize>>,
    scratch: Vec<usize>,
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
    pub fn matches_into<'p>(
        &self,
        path: &'p str,
        cache: &mut MatchCache<'p>,
        hits: &mut Vec<usize>,
    ) {
        hits.clear();
        let (directory, name) = match path.rsplit_once('/') {
            Some((directory, name)) => (Some(directory), name),
            None => (None, path),
        };
        if let Some(directory) = directory.filter(|_| !self.directory.ids.is_empty()) {
            let scratch = &mut cache.scratch;
            let found = cache
                .directories
                .entry(directory)
                .or_insert_with(|| Self::directory_hits(&self.directory, directory, scratch));
            hits.extend_from_slice(found);
        }
        let mut add = |group: &Group, text: &str, scratch: &mut Vec<usize>| {
            if group.ids.is_empty() {
                return;
            }
            group.set.matches_into(text, scratch);
            hits.extend(scratch.iter().map(|&i| group.ids[i].0));
        };
        add(&self.file_name, name, &mut cache.scratch);
        if directory.is_none() {
            add(&self.root, path, &mut cache.scratch);
        }
        add(&self.whole, path, &mut cache.scratch);
    }

    /// The directory-shaped globs that match files in `directory`: a glob whose prefix has `k`
    /// segments matches when the directory's first `k` segments match it.
    fn directory_hits(group: &Group, directory: &str, scratch: &mut Vec<usize>) -> Vec<usize> {
        let mut found = Vec::new();
        let ends = directory
            .match_indices('/')
            .map(|(i, _)| i)
            .chain(std::iter::once(directory.len()));
        for (index, end) in ends.enumerate() {
            let segments = index + 1;
            group.set.matches_into(&directory[..end], scratch);
            found.extend(
                scratch
                    .iter()
                    .map(|&i| group.ids[i])
                    .filter(|&(_, k)| k == segments)
                    .map(|(id, _)| id),
            );
        }
        found
    }
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
