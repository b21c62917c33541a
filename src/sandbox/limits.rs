//! What one render may cost. A bundle is untrusted input, and tera has no limits of its own:
//! `range(end=100000000)` allocates 3.2 GB, a template that includes itself or a macro that calls
//! itself overflows the stack (the process aborts), and its parser takes exponential time on
//! nested calls (`f(a=f(a=...))` 10 deep takes seconds, 12 deep minutes). Each limit below is
//! documented in docs/bundles.md ("Limits"); passing one stops the render with an error naming the
//! template, before anything is written.
//!
//! How they are enforced:
//! - before parsing, each template's source is scanned for nesting ([`check_source`]);
//! - after parsing, the include and import graphs are checked for cycles and depth
//!   ([`check_graph`]), and guards are inserted into the syntax tree ([`instrument`]): at the
//!   start of every loop body, around every macro body and at the top of every template; the
//!   guards count iterations and macro calls and check the stack and the clock;
//! - `range` is replaced by one that refuses large ranges ([`Budget::range`]);
//! - output goes through a writer that refuses past the limit ([`Capped`]);
//! - [`on_worker`] runs a render on a thread of its own, with a memory budget kept by the global
//!   allocator ([`Counting`]) and a wall-clock limit; past either, the caller gets an error and
//!   the thread is abandoned (the CLI then exits, which ends it; nothing has been written).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};
use tera::ast::{Expr, ExprVal, FunctionCall, Node, WS};

/// The limits of one render. [`Limits::DEFAULT`] is what goldpath uses; tests use smaller ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Items one `range()` call may make.
    pub range_items: usize,
    /// Loop iterations in one file (all loops, nested ones included).
    pub loop_iterations: u64,
    /// Macro calls nested inside each other (recursion included).
    pub macro_depth: usize,
    /// Macro calls in one file.
    pub macro_calls: u64,
    /// Templates included inside each other; an include cycle is refused whatever its length.
    pub include_depth: usize,
    /// Tags (`if`, `for`, `macro`, `block`, `filter`) and brackets nested in a template's source.
    pub nesting: usize,
    /// Function, filter and macro calls nested in each other's arguments.
    pub call_nesting: usize,
    /// Bytes of one rendered file.
    pub file_output: usize,
    /// Bytes of all files of a render together (copied files included).
    pub total_output: usize,
    /// Bytes of one answer, and of the result of one expression (a default, a path part).
    pub answer: usize,
    /// Bytes of memory one render may hold (on its own thread).
    pub memory: usize,
    /// Wall-clock time of one render, or of one expression.
    pub time: Duration,
    /// Bytes of stack the nested templates and macros of a render may use.
    pub stack: usize,
}

const MIB: usize = 1 << 20;

impl Limits {
    pub const DEFAULT: Limits = Limits {
        range_items: 100_000,
        loop_iterations: 1_000_000,
        macro_depth: 64,
        macro_calls: 1_000_000,
        include_depth: 16,
        nesting: 64,
        call_nesting: 6,
        file_output: 10 * MIB,
        total_output: 100 * MIB,
        answer: 64 * 1024,
        memory: 512 * MIB,
        time: Duration::from_secs(10),
        stack: 32 * MIB,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// A limit a render went past, with the limit's value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Limit {
    #[error("`range` asked for {asked} items; at most {max} are allowed")]
    Range { asked: u64, max: usize },
    #[error("more than {max} loop iterations")]
    Iterations { max: u64 },
    #[error("macro calls nested more than {max} deep (a macro calling itself without end?)")]
    MacroDepth { max: usize },
    #[error("more than {max} macro calls")]
    MacroCalls { max: u64 },
    #[error("templates and macros nested too deep: more than {} of stack", bytes(*max))]
    Stack { max: usize },
    #[error("it includes itself: {}", chain.join(" -> "))]
    IncludeCycle { chain: Vec<String> },
    #[error("includes nested more than {max} deep: {}", chain.join(" -> "))]
    IncludeDepth { chain: Vec<String>, max: usize },
    #[error("it imports itself: {}", chain.join(" -> "))]
    ImportCycle { chain: Vec<String> },
    #[error("tags and brackets nested more than {max} deep")]
    Nesting { max: usize },
    #[error("calls nested more than {max} deep in each other's arguments")]
    CallNesting { max: usize },
    #[error("names beginning with `__goldpath` are reserved")]
    Reserved,
    #[error("its output is larger than {}", bytes(*max))]
    FileOutput { max: usize },
    #[error("the rendered files together are larger than {}", bytes(*max))]
    TotalOutput { max: usize },
    #[error("its result is larger than {}", bytes(*max))]
    Result { max: usize },
    #[error("the render used more than {} of memory", bytes(*max))]
    Memory { max: usize },
    #[error("the render took longer than {} s", max.as_secs_f64())]
    Time { max: Duration },
}

/// `10 MiB`, `64 KiB`, or a number of bytes.
fn bytes(n: usize) -> String {
    match n {
        n if n >= MIB && n % MIB == 0 => format!("{} MiB", n / MIB),
        n if n >= 1024 && n % 1024 == 0 => format!("{} KiB", n / 1024),
        n => format!("{n} bytes"),
    }
}

/// The names of the guard functions [`instrument`] inserts. Templates may not use them.
const RESERVED: &str = "__goldpath";
const LOOP_GUARD: &str = "__goldpath_loop";
const MACRO_ENTER: &str = "__goldpath_macro_enter";
const MACRO_EXIT: &str = "__goldpath_macro_exit";
const TEMPLATE_GUARD: &str = "__goldpath_template";

/// The counters of one render (or one expression), shared with the guard functions registered in
/// tera, which must be `Send + Sync`.
#[derive(Debug)]
pub struct Budget {
    pub limits: Limits,
    iterations: AtomicU64,
    macro_depth: AtomicUsize,
    macro_calls: AtomicU64,
    started: Mutex<Instant>,
    /// The first limit passed, kept because tera wraps the guard's error in its own words.
    hit: Mutex<Option<Limit>>,
    /// Set by the allocator when the render thread passes [`Limits::memory`].
    out_of_memory: AtomicBool,
    /// The file being rendered, for the error of a render stopped from outside.
    file: Mutex<String>,
}

impl Budget {
    pub fn new(limits: Limits) -> Budget {
        Budget {
            limits,
            iterations: AtomicU64::new(0),
            macro_depth: AtomicUsize::new(0),
            macro_calls: AtomicU64::new(0),
            started: Mutex::new(Instant::now()),
            hit: Mutex::new(None),
            out_of_memory: AtomicBool::new(false),
            file: Mutex::new(String::new()),
        }
    }

    /// Starts the per-file counters again for `file`. The clock restarts too unless `whole`
    /// (a whole render has one clock; each expression has its own).
    pub fn start(&self, file: &str, restart_clock: bool) {
        self.iterations.store(0, Ordering::Relaxed);
        self.macro_depth.store(0, Ordering::Relaxed);
        self.macro_calls.store(0, Ordering::Relaxed);
        *self.file.lock().unwrap_or_else(|p| p.into_inner()) = file.to_string();
        if restart_clock {
            *self.started.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
        }
    }

    pub fn file(&self) -> String {
        self.file.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Records `limit` (the first one wins) and returns it as tera's error.
    pub fn hit(&self, limit: Limit) -> tera::Error {
        let message = limit.to_string();
        let mut hit = self.hit.lock().unwrap_or_else(|p| p.into_inner());
        hit.get_or_insert(limit);
        tera::Error::msg(message)
    }

    /// The limit that stopped the last render, if one did.
    pub fn take_hit(&self) -> Option<Limit> {
        self.hit.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    fn check_clock(&self) -> tera::Result<()> {
        let started = *self.started.lock().unwrap_or_else(|p| p.into_inner());
        if started.elapsed() > self.limits.time {
            return Err(self.hit(Limit::Time {
                max: self.limits.time,
            }));
        }
        Ok(())
    }

    fn check_stack(&self) -> tera::Result<()> {
        let (used, max) = stack_used();
        if used > max {
            return Err(self.hit(Limit::Stack { max }));
        }
        Ok(())
    }

    fn on_loop(&self) -> tera::Result<tera::Value> {
        let n = self.iterations.fetch_add(1, Ordering::Relaxed) + 1;
        if n > self.limits.loop_iterations {
            return Err(self.hit(Limit::Iterations {
                max: self.limits.loop_iterations,
            }));
        }
        if n % 256 == 0 {
            self.check_clock()?;
        }
        self.check_stack()?;
        Ok(tera::Value::String(String::new()))
    }

    fn on_macro_enter(&self) -> tera::Result<tera::Value> {
        if self.macro_depth.load(Ordering::Relaxed) >= self.limits.macro_depth {
            return Err(self.hit(Limit::MacroDepth {
                max: self.limits.macro_depth,
            }));
        }
        let calls = self.macro_calls.fetch_add(1, Ordering::Relaxed) + 1;
        if calls > self.limits.macro_calls {
            return Err(self.hit(Limit::MacroCalls {
                max: self.limits.macro_calls,
            }));
        }
        self.check_stack()?;
        if calls % 256 == 0 {
            self.check_clock()?;
        }
        self.macro_depth.fetch_add(1, Ordering::Relaxed);
        Ok(tera::Value::String(String::new()))
    }

    fn on_macro_exit(&self) -> tera::Result<tera::Value> {
        let _ = self
            .macro_depth
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |d| d.checked_sub(1));
        Ok(tera::Value::String(String::new()))
    }

    fn on_template(&self) -> tera::Result<tera::Value> {
        self.check_stack()?;
        self.check_clock()?;
        Ok(tera::Value::String(String::new()))
    }

    /// tera's `range`, refusing more than [`Limits::range_items`] items before making any.
    pub fn range(&self, args: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
        let number = |name: &str, default: Option<u64>| -> tera::Result<u64> {
            match args.get(name) {
                Some(v) => v.as_u64().ok_or_else(|| {
                    tera::Error::msg(format!(
                        "Function `range` received {name}={v} but `{name}` can only be a number"
                    ))
                }),
                None => default.ok_or_else(|| {
                    tera::Error::msg("Function `range` was called without a `end` argument")
                }),
            }
        };
        let start = number("start", Some(0))?;
        let step = number("step_by", Some(1))?;
        let end = number("end", None)?;
        if start > end {
            return Err(tera::Error::msg(
                "Function `range` was called with a `start` argument greater than the `end` one",
            ));
        }
        if step == 0 {
            return Err(tera::Error::msg(
                "Function `range` was called with a `step_by` argument of 0",
            ));
        }
        let items = (end - start).div_ceil(step);
        if items > self.limits.range_items as u64 {
            return Err(self.hit(Limit::Range {
                asked: items,
                max: self.limits.range_items,
            }));
        }
        Ok(tera::Value::Array(
            (start..end)
                .step_by(step as usize)
                .map(tera::Value::from)
                .collect(),
        ))
    }

    /// Registers the guard functions and the bounded `range` in `tera`.
    pub fn register(self: &Arc<Budget>, tera: &mut tera::Tera) {
        let b = Arc::clone(self);
        tera.register_function("range", move |args: &HashMap<String, tera::Value>| {
            b.range(args)
        });
        let b = Arc::clone(self);
        tera.register_function(LOOP_GUARD, move |_: &HashMap<String, tera::Value>| {
            b.on_loop()
        });
        let b = Arc::clone(self);
        tera.register_function(MACRO_ENTER, move |_: &HashMap<String, tera::Value>| {
            b.on_macro_enter()
        });
        let b = Arc::clone(self);
        tera.register_function(MACRO_EXIT, move |_: &HashMap<String, tera::Value>| {
            b.on_macro_exit()
        });
        let b = Arc::clone(self);
        tera.register_function(TEMPLATE_GUARD, move |_: &HashMap<String, tera::Value>| {
            b.on_template()
        });
    }
}

/// Checks a template's source before tera parses it: nesting (tera's parser recurses, and a
/// few thousand nested tags overflow the stack), calls nested in arguments (its parse time
/// grows about fourfold with each level), and the reserved guard names. Returns the limit and
/// the line where it was passed.
pub fn check_source(text: &str, limits: &Limits) -> Result<(), (Limit, usize)> {
    let b = text.as_bytes();
    let mut blocks = 0usize; // open `if`, `for`, ... tags
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] != b'{' || !matches!(b[i + 1], b'{' | b'%' | b'#') {
            i += 1;
            continue;
        }
        let kind = b[i + 1];
        let start = i;
        i += 2;
        if kind == b'#' {
            i = find(b, i, b"#}").map_or(b.len(), |e| e + 2);
            continue;
        }
        // One tag: brackets and calls nest inside it; strings are skipped.
        let close: &[u8] = if kind == b'{' { b"}}" } else { b"%}" };
        let word = tag_word(b, i);
        i = scan_tag(text, i, close, blocks, limits)?;
        // A filter's arguments nest like a call's: `a | f(x=b | g(y=...))` is counted above.
        // Inside a tag only: text may mention anything.
        if let Some(at) = find(&b[..i], start, RESERVED.as_bytes()) {
            return Err((Limit::Reserved, line_at(text, at)));
        }
        i = (i + close.len()).min(b.len());
        if kind == b'%' {
            match word {
                b"if" | b"for" | b"macro" | b"block" | b"filter" => {
                    blocks += 1;
                    if blocks > limits.nesting {
                        return Err((
                            Limit::Nesting {
                                max: limits.nesting,
                            },
                            line_at(text, start),
                        ));
                    }
                }
                b"raw" => i = find(b, i, b"endraw").map_or(b.len(), |e| e + 6),
                w if w.starts_with(b"end") => blocks = blocks.saturating_sub(1),
                _ => {}
            }
        }
    }
    Ok(())
}

/// Scans the inside of one tag of `text` from `i` to its `close`, with `blocks` tags open around
/// it: brackets and calls nest inside it; strings are skipped. Returns where `close` starts.
fn scan_tag(
    text: &str,
    mut i: usize,
    close: &[u8],
    blocks: usize,
    limits: &Limits,
) -> Result<usize, (Limit, usize)> {
    let b = text.as_bytes();
    let mut brackets = Vec::new(); // true for a call's parenthesis
    let mut calls = 0usize;
    while i < b.len() && !(brackets.is_empty() && b[i..].starts_with(close)) {
        match b[i] {
            q @ (b'"' | b'\'' | b'`') => {
                i = b[i + 1..]
                    .iter()
                    .position(|&c| c == q)
                    .map_or(b.len(), |p| i + 1 + p);
            }
            b'(' | b'[' => {
                let call = b[i] == b'('
                    && b[..i]
                        .iter()
                        .rev()
                        .find(|c| !c.is_ascii_whitespace())
                        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_');
                brackets.push(call);
                calls += usize::from(call);
                if blocks + brackets.len() > limits.nesting {
                    return Err((
                        Limit::Nesting {
                            max: limits.nesting,
                        },
                        line_at(text, i),
                    ));
                }
                if calls > limits.call_nesting {
                    return Err((
                        Limit::CallNesting {
                            max: limits.call_nesting,
                        },
                        line_at(text, i),
                    ));
                }
            }
            b')' | b']' if brackets.pop() == Some(true) => calls -= 1,
            _ => {}
        }
        i += 1;
    }
    // A string left open runs to the end of the text, not past it.
    Ok(i.min(b.len()))
}

/// The first word of a tag starting at `i` (after `{%`), skipping `-` and spaces.
pub(crate) fn tag_word(b: &[u8], mut i: usize) -> &[u8] {
    while i < b.len() && (b[i] == b'-' || b[i].is_ascii_whitespace()) {
        i += 1;
    }
    let end = b[i..]
        .iter()
        .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
        .map_or(b.len(), |p| i + p);
    &b[i..end]
}

/// Where `needle` first occurs in `b` at or after `from`.
pub(crate) fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

fn line_at(text: &str, at: usize) -> usize {
    text.as_bytes()[..at.min(text.len())]
        .iter()
        .filter(|&&c| c == b'\n')
        .count()
        + 1
}

/// Refuses include cycles, includes nested deeper than [`Limits::include_depth`], and import
/// cycles (tera loads imported macros recursively and would overflow the stack). Returns the
/// template at fault with the limit, whose chain names each template as `shown` does.
pub fn check_graph(
    tera: &tera::Tera,
    limits: &Limits,
    shown: impl Fn(&str) -> String,
) -> Result<(), (String, Limit)> {
    let mut includes: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut imports: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (name, t) in &tera.templates {
        let mut found = Vec::new();
        collect_includes(&t.ast, &mut found);
        // tera renders the first template of an include list that exists.
        let edges = found
            .iter()
            .filter_map(|names| {
                names
                    .iter()
                    .find(|n| tera.templates.contains_key(n.as_str()))
            })
            .map(String::as_str)
            .collect();
        includes.insert(name, edges);
        imports.insert(
            name,
            t.imported_macro_files
                .iter()
                .map(|(f, _)| f.as_str())
                .collect(),
        );
    }
    let owned = |chain: Vec<&str>| chain.into_iter().map(&shown).collect::<Vec<_>>();
    for (graph, is_include) in [(&imports, false), (&includes, true)] {
        let mut done = HashMap::new();
        for name in graph.keys() {
            match longest(graph, name, &mut Vec::new(), &mut done) {
                Err(cycle) => {
                    let at = cycle[0].to_string();
                    let chain = owned(cycle);
                    let limit = if is_include {
                        Limit::IncludeCycle { chain }
                    } else {
                        Limit::ImportCycle { chain }
                    };
                    return Err((at, limit));
                }
                // The chain counts templates; its depth is the number of includes.
                Ok(chain) if is_include && chain.len() > limits.include_depth + 1 => {
                    return Err((
                        name.to_string(),
                        Limit::IncludeDepth {
                            chain: owned(chain),
                            max: limits.include_depth,
                        },
                    ));
                }
                Ok(_) => {}
            }
        }
    }
    Ok(())
}

/// Depth-first: the longest include chain below `node` in `graph`, or the cycle it is on.
fn longest<'a>(
    graph: &BTreeMap<&'a str, Vec<&'a str>>,
    node: &'a str,
    path: &mut Vec<&'a str>,
    done: &mut HashMap<&'a str, Vec<&'a str>>,
) -> Result<Vec<&'a str>, Vec<&'a str>> {
    if let Some(chain) = done.get(node) {
        return Ok(chain.clone());
    }
    if let Some(at) = path.iter().position(|p| *p == node) {
        let mut cycle = path[at..].to_vec();
        cycle.push(node);
        return Err(cycle);
    }
    path.push(node);
    let mut best = Vec::new();
    for next in graph.get(node).into_iter().flatten() {
        let chain = longest(graph, next, path, done)?;
        if chain.len() > best.len() {
            best = chain;
        }
    }
    path.pop();
    best.insert(0, node);
    done.insert(node, best.clone());
    Ok(best)
}

fn collect_includes<'a>(body: &'a [Node], out: &mut Vec<&'a Vec<String>>) {
    for node in body {
        match node {
            Node::Include(_, names, _) => out.push(names),
            _ => {
                for b in bodies(node) {
                    collect_includes(b, out);
                }
            }
        }
    }
}

/// The bodies nested in `node`.
fn bodies(node: &Node) -> Vec<&Vec<Node>> {
    match node {
        Node::Forloop(_, f, _) => std::iter::once(&f.body)
            .chain(f.empty_body.as_ref())
            .collect(),
        Node::If(i, _) => i
            .conditions
            .iter()
            .map(|(_, _, b)| b)
            .chain(i.otherwise.as_ref().map(|(_, b)| b))
            .collect(),
        Node::Block(_, b, _) => vec![&b.body],
        Node::FilterSection(_, f, _) => vec![&f.body],
        Node::MacroDefinition(_, m, _) => vec![&m.body],
        _ => Vec::new(),
    }
}

fn guard(name: &str) -> Node {
    Node::VariableBlock(
        WS::default(),
        Expr::new(ExprVal::FunctionCall(FunctionCall {
            name: name.to_string(),
            args: HashMap::new(),
        })),
    )
}

/// Inserts the guards into a parsed template: at the start of each loop body, around each macro
/// body, and at the top of the template (reached again by every include). Every copy tera
/// renders from is changed: the syntax tree, the macros, and the blocks (whose definitions tera
/// copies again whenever a template is added).
pub fn instrument(t: &mut tera::Template) {
    guard_loops(&mut t.ast);
    t.ast.insert(0, guard(TEMPLATE_GUARD));
    for m in t.macros.values_mut() {
        guard_loops(&mut m.body);
        m.body.insert(0, guard(MACRO_ENTER));
        m.body.push(guard(MACRO_EXIT));
    }
    for b in t.blocks.values_mut() {
        guard_loops(&mut b.body);
    }
    for defs in t.blocks_definitions.values_mut() {
        for (_, b) in defs {
            guard_loops(&mut b.body);
        }
    }
}

fn guard_loops(body: &mut [Node]) {
    for node in body {
        match node {
            Node::Forloop(_, f, _) => {
                guard_loops(&mut f.body);
                f.body.insert(0, guard(LOOP_GUARD));
                if let Some(e) = &mut f.empty_body {
                    guard_loops(e);
                }
            }
            Node::If(i, _) => {
                for (_, _, b) in &mut i.conditions {
                    guard_loops(b);
                }
                if let Some((_, b)) = &mut i.otherwise {
                    guard_loops(b);
                }
            }
            Node::Block(_, b, _) => guard_loops(&mut b.body),
            Node::FilterSection(_, f, _) => guard_loops(&mut f.body),
            Node::MacroDefinition(_, m, _) => guard_loops(&mut m.body),
            _ => {}
        }
    }
}

/// A writer that refuses to grow past `max` bytes, so a huge output stops while it is written
/// (tera streams into it) instead of after it was built.
pub struct Capped<'a> {
    pub buf: Vec<u8>,
    max: usize,
    over: Limit,
    budget: &'a Budget,
}

impl<'a> Capped<'a> {
    pub fn new(max: usize, over: Limit, budget: &'a Budget) -> Capped<'a> {
        Capped {
            buf: Vec::new(),
            max,
            over,
            budget,
        }
    }
}

impl std::io::Write for Capped<'_> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.buf.len() + data.len() > self.max {
            let e = self.budget.hit(self.over.clone());
            return Err(std::io::Error::other(e.to_string()));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// How a render on a worker thread ended, when it did not end by itself.
pub struct Stopped {
    pub file: String,
    pub limit: Limit,
}

/// Runs `work` on a thread of its own, with `stack` bytes of stack for its nesting (see
/// [`STACK_MARGIN`]), a memory budget of [`Limits::memory`] and a deadline of [`Limits::time`].
/// Past either, returns [`Stopped`] and leaves the thread behind: it is blocked in the allocator
/// or still computing, holds nothing another thread waits for, and ends with the process.
///
/// A thread costs 50-90 µs to start here (2 and 64 MiB stacks, 2 shared cores).
pub fn on_worker<T: Send + 'static>(
    budget: &Arc<Budget>,
    stack: usize,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Stopped> {
    let (tx, rx) = mpsc::channel();
    let b = Arc::clone(budget);
    let work = Arc::new(Mutex::new(Some(work)));
    let shared = Arc::clone(&work);
    let spawned = std::thread::Builder::new()
        .stack_size(stack + STACK_MARGIN)
        .spawn(move || {
            let work = shared.lock().ok().and_then(|mut w| w.take());
            if let Some(work) = work {
                let _meter = Meter::start(b.limits.memory, &b.out_of_memory);
                let _stack = StackBase::mark(stack);
                let _ = tx.send(work());
            }
        });
    let handle = match spawned {
        Ok(h) => h,
        // No thread to be had: render here, with every limit but memory and time.
        Err(_) => {
            let work = work.lock().ok().and_then(|mut w| w.take());
            let _stack = StackBase::mark(EXPRESSION_STACK);
            return Ok(work.expect("the worker never started")());
        }
    };
    let deadline = Instant::now() + budget.limits.time;
    loop {
        match rx.recv_timeout(Duration::from_millis(10)) {
            Ok(out) => return Ok(out),
            Err(mpsc::RecvTimeoutError::Disconnected) => match handle.join() {
                Err(panic) => std::panic::resume_unwind(panic),
                Ok(()) => unreachable!("the worker sends before it ends"),
            },
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if budget.out_of_memory.load(Ordering::Relaxed) {
                    let max = budget.limits.memory;
                    return Err(stopped(budget, Limit::Memory { max }));
                }
                if Instant::now() > deadline {
                    let max = budget.limits.time;
                    return Err(stopped(budget, Limit::Time { max }));
                }
            }
        }
    }
}

fn stopped(budget: &Budget, limit: Limit) -> Stopped {
    Stopped {
        file: budget.file(),
        limit,
    }
}

/// A worker's stack beyond what its guards allow: room for the deepest step between two guards
/// (one template's 64 nested tags, about 0.5 MiB in a debug build, and one expression). Only the
/// pages used are committed.
const STACK_MARGIN: usize = 6 * MIB;

thread_local! {
    /// Bytes this thread may hold; 0 for no limit (every thread but a render worker).
    static MEMORY_CAP: Cell<usize> = const { Cell::new(0) };
    /// Bytes allocated and not freed by this thread since its cap was set.
    static MEMORY_USED: Cell<usize> = const { Cell::new(0) };
    /// Set when the cap is passed; points into the render's [`Budget`], which the blocked
    /// thread keeps alive.
    static MEMORY_FLAG: Cell<*const AtomicBool> = const { Cell::new(std::ptr::null()) };
    /// The address of a local at the start of the render on this thread (0 when none), and
    /// the bytes of stack the render may use below it.
    static STACK_BASE: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

/// Bytes of stack used since [`StackBase::mark`] on this thread, and the most allowed.
fn stack_used() -> (usize, usize) {
    let here = 0u8;
    let here = std::ptr::addr_of!(here) as usize;
    match STACK_BASE.with(Cell::get) {
        (0, _) => (0, usize::MAX),
        (base, max) => (base.saturating_sub(here), max),
    }
}

/// Marks where a render starts on this thread's stack and how much below it may be used; the
/// mark is removed on drop. A mark inside a marked render (a path part rendered during a
/// render) keeps the outer one.
pub struct StackBase {
    outer: bool,
}

/// The stack an expression evaluated on the caller's thread may use: the main thread has 8 MiB
/// on Linux, and an expression has no includes; 64 nested macros of 64 nested tags fit.
pub const EXPRESSION_STACK: usize = 2 * MIB;

impl StackBase {
    #[inline(never)]
    pub fn mark(max: usize) -> StackBase {
        let here = 0u8;
        let here = std::ptr::addr_of!(here) as usize;
        let outer = STACK_BASE.with(Cell::get).0 != 0;
        if !outer {
            STACK_BASE.with(|b| b.set((here, max)));
        }
        StackBase { outer }
    }
}

impl Drop for StackBase {
    fn drop(&mut self) {
        if !self.outer {
            STACK_BASE.with(|b| b.set((0, 0)));
        }
    }
}

/// Whether this thread is a render's own (see [`on_worker`]).
pub fn on_render_thread() -> bool {
    MEMORY_CAP.with(Cell::get) != 0
}

/// The memory budget of a render thread, from [`Meter::start`] until dropped.
struct Meter;

impl Meter {
    fn start(cap: usize, flag: &AtomicBool) -> Meter {
        MEMORY_USED.with(|u| u.set(0));
        MEMORY_FLAG.with(|f| f.set(flag));
        MEMORY_CAP.with(|c| c.set(cap));
        Meter
    }
}

impl Drop for Meter {
    fn drop(&mut self) {
        MEMORY_CAP.with(|c| c.set(0));
        MEMORY_FLAG.with(|f| f.set(std::ptr::null()));
    }
}

/// The system allocator, counting what render threads hold. An allocation that would take a
/// render thread past its cap is never made: the thread flags its budget and sleeps for good,
/// and [`on_worker`] returns the error (a failed allocation would abort the process instead).
/// Other threads pay one thread-local read per allocation.
pub struct Counting;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[inline]
fn charge(size: usize) {
    let Ok(cap) = MEMORY_CAP.try_with(Cell::get) else {
        return;
    };
    if cap == 0 {
        return;
    }
    let used = MEMORY_USED.with(Cell::get).saturating_add(size);
    if used > cap {
        let flag = MEMORY_FLAG.with(Cell::get);
        if !flag.is_null() {
            // SAFETY: the flag lives in the budget this thread holds an `Arc` of until it ends,
            // and it never ends from here.
            unsafe { (*flag).store(true, Ordering::Relaxed) };
        }
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
    MEMORY_USED.with(|u| u.set(used));
}

#[inline]
fn credit(size: usize) {
    if MEMORY_CAP.try_with(Cell::get).unwrap_or(0) != 0 {
        MEMORY_USED.with(|u| u.set(u.get().saturating_sub(size)));
    }
}

// SAFETY: every call goes to `System`; the counting around it never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        charge(layout.size());
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        charge(layout.size());
        System.alloc_zeroed(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        credit(layout.size());
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            charge(new_size - layout.size());
        } else {
            credit(layout.size() - new_size);
        }
        System.realloc(ptr, layout, new_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::Engine;
    use tera::Context;

    #[test]
    fn sources_are_refused_for_nesting_calls_and_reserved_names() {
        let limits = Limits::DEFAULT;
        let deep =
            |open: &str, close: &str, n: usize| format!("{}x{}", open.repeat(n), close.repeat(n));
        for (text, wanted) in [
            (deep("{% if a %}", "{% endif %}", 64), None),
            (
                deep("{% if a %}", "{% endif %}", 65),
                Some(Limit::Nesting { max: 64 }),
            ),
            (
                format!("{}{}", "{% for i in x %}{% endfor %}".repeat(1000), "ok"),
                None,
            ),
            (deep("{{ (", ") }}", 64), None),
            (deep("{{ [", "] }}", 65), Some(Limit::Nesting { max: 64 })),
            (deep("{{ f(a=", ") }}", 6), None),
            (
                deep("{{ f(a=", ") }}", 7),
                Some(Limit::CallNesting { max: 6 }),
            ),
            (
                "{{ x | default(value=y | default(value=z | default(value=1 | default(value=2 | default(value=3 | default(value=4 | default(value=5))))))) }}".into(),
                Some(Limit::CallNesting { max: 6 }),
            ),
            // Brackets in strings, comments and raw blocks are text.
            (format!("{{{{ \"{}\" }}}}", "(".repeat(100)), None),
            (format!("{{# {} #}}", "(".repeat(100)), None),
            (
                format!("{{% raw %}}{}{{% endraw %}}", "{% if a %}".repeat(100)),
                None,
            ),
            ("{{ __goldpath_macro_exit() }}".into(), Some(Limit::Reserved)),
            ("text may say __goldpath_loop".into(), None),
        ] {
            let got = check_source(&text, &limits).err().map(|(l, _)| l);
            assert_eq!(got, wanted, "{}", &text[..text.len().min(80)]);
        }
        let (_, line) =
            check_source("a\nb\n{{ f(a=f(a=f(a=f(a=f(a=f(a=f(a=1))))))) }}", &limits).unwrap_err();
        assert_eq!(line, 3);
    }

    #[test]
    fn range_is_teras_below_the_limit() {
        let mut e = Engine::new();
        let ctx = Context::new();
        for (call, out) in [
            ("range(end=3)", "[0, 1, 2]"),
            ("range(start=2, end=9, step_by=3)", "[2, 5, 8]"),
            ("range(start=3, end=3)", "[]"),
            ("range(end=100000) | length", "100000"),
        ] {
            assert_eq!(
                e.render_str(&format!("{{{{ {call} }}}}"), &ctx).unwrap(),
                out
            );
        }
        let err = e
            .render_str("{{ range(end=100001) | length }}", &ctx)
            .unwrap_err();
        assert_eq!(
            err,
            "`range` asked for 100001 items; at most 100000 are allowed"
        );
    }

    /// An expression that recurses, with room for a deep recursion but little stack.
    #[test]
    fn the_stack_is_guarded_whatever_the_depth_limit() {
        let mut e = Engine::with_limits(Limits {
            macro_depth: 1_000_000,
            stack: 256 * 1024,
            ..Limits::DEFAULT
        });
        let err = e
            .render_str(
                "{% macro m() %}{% if true %}{{ self::m() }}{% endif %}{% endmacro m %}{{ self::m() }}",
                &Context::new(),
            )
            .unwrap_err();
        assert_eq!(
            err,
            "templates and macros nested too deep: more than 256 KiB of stack"
        );
    }

    #[test]
    fn expressions_are_bounded_in_memory_and_time() {
        let doubling = "{% set_global s = 'x' %}{% for i in range(end=64) %}{% set_global s = s ~ s %}{% endfor %}{{ s | length }}";
        let mut e = Engine::with_limits(Limits {
            memory: 8 * MIB,
            ..Limits::DEFAULT
        });
        let err = e.render_str(doubling, &Context::new()).unwrap_err();
        assert_eq!(err, "the render used more than 8 MiB of memory");

        let slow = "{% for i in range(end=100000) %}{% for j in range(end=9) %}{% set t = 'abcdefgh' | replace(from='a', to='b') %}{% endfor %}{% endfor %}";
        let mut e = Engine::with_limits(Limits {
            time: Duration::from_millis(100),
            answer: usize::MAX,
            ..Limits::DEFAULT
        });
        let started = Instant::now();
        let err = e.render_str(slow, &Context::new()).unwrap_err();
        assert_eq!(err, "the render took longer than 0.1 s");
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}
