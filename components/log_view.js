// The lines of a log pane. Untrusted text only ever becomes DOM text nodes (textContent), never HTML.
// Lines arrive in batches from the server, packed (components/log_view.py `packed`): {l: lines, t: times}. A line is
// either a plain line's bare text (its time: the next entry of `t`, milliseconds since the previous plain line's time,
// null for none) or {t: time, g: [[text, classes], ...], e: stderr, p: prefix, c: colour}, or {k: n} for
// "n lines skipped". Only `maxLines` lines are kept; older ones are counted in `trimmed`.
// The line nodes are built directly (one DocumentFragment per batch) rather than by Vue's diff: a burst of
// thousands of lines then costs one append, not a re-render of everything already on screen. Lines sit in blocks
// of BLOCK lines with `content-visibility: auto`, so the browser skips layout for the blocks out of view.
const BLOCK = 200;
const SLICE_MS = 8; // build lines for at most this long in one task, then let the page breathe
const SLICE_STEP = 25; // lines built between two looks at the clock
const SLICE_MIN = 50; // lines built per task whatever the clock says (the queue always moves)
const two = (n) => String(n).padStart(2, "0");
// Milliseconds since midnight -> 01:46:51.123 (what the server's short_time shows).
const clock = (ms) => {
  const day = ((ms % 86400000) + 86400000) % 86400000;
  const s = Math.floor(day / 1000);
  return `${two(Math.floor(s / 3600))}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}.${String(day % 1000).padStart(3, "0")}`;
};
export default {
  template: `
    <div class="log-view" :class="{ 'log-view--times': timestamps }"
         :data-kept="kept" :data-skipped="skipped" :data-trimmed="trimmed">
      <div ref="scroller" class="log-view__lines">
        <div v-show="trimmed" class="log-line log-marker log-trimmed">… {{ trimmed }} older lines are no longer kept</div>
        <div ref="lines"></div>
        <div v-if="note" class="log-empty">{{ note }}</div>
      </div>
    </div>`,
  props: {
    maxLines: { type: Number, default: 5000 },
    pattern: { type: String, default: "" },
    regex: { type: Boolean, default: false },
    timestamps: { type: Boolean, default: false },
    follow: { type: Boolean, default: true },
    emptyText: { type: String, default: "Waiting for log lines…" },
  },
  data() {
    return { kept: 0, skipped: 0, trimmed: 0, matched: 0 };
  },
  created() {
    this.rows = []; // {item, node, match, block}: not reactive on purpose
    this.blocks = []; // {node, count}
    this.queue = []; // items received, not built yet
  },
  computed: {
    compiled() {
      if (!this.pattern) return { re: null, bad: false };
      try {
        const source = this.regex ? this.pattern : this.pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        return { re: new RegExp(source, "gi"), bad: false };
      } catch (e) {
        return { re: null, bad: true };
      }
    },
    note() {
      if (this.compiled.bad) return "The browser cannot use this pattern.";
      if (!this.kept && !this.skipped) return this.emptyText;
      if (this.compiled.re && this.kept && !this.matched) return "No line matches the filter.";
      return "";
    },
  },
  watch: {
    compiled() {
      this.refilter();
    },
    follow(value) {
      if (value) this.toBottom();
    },
  },
  methods: {
    append(packed) {
      // Unpacked at once (no DOM work), built by drain() in slices of at most SLICE_MS: a burst never blocks the
      // page for long. Lines waiting beyond `maxLines` could never be kept: they become one "skipped" marker.
      let at = 0;
      let next = 0;
      for (const entry of packed.l) {
        if (typeof entry !== "string") {
          if (!entry.k) entry.plain = entry.g.map((part) => part[0]).join("");
          this.queue.push(entry);
          continue;
        }
        const step = packed.t[next++];
        if (step === null || step === undefined) this.queue.push({ s: entry, plain: entry });
        else {
          at += step;
          this.queue.push({ s: entry, plain: entry, t: clock(at) });
        }
      }
      this.bound();
      this.drain();
    },
    bound() {
      const over = this.queue.length - this.maxLines;
      if (over <= 0) return;
      let count = 0;
      for (const item of this.queue.splice(0, over + 1)) count += item.k || 1;
      this.queue.unshift({ k: count });
    },
    drain() {
      const started = performance.now();
      let built = 0;
      while (this.queue.length && (built < SLICE_MIN || performance.now() - started < SLICE_MS)) {
        for (const item of this.queue.splice(0, SLICE_STEP)) {
          if (item.k) this.skipped += item.k;
          else this.kept++;
          this.place(this.build(item));
          built++;
        }
      }
      this.trim();
      if (this.follow) this.toBottom();
      if (this.queue.length && !this.drainPending) {
        this.drainPending = true;
        setTimeout(() => {
          this.drainPending = false;
          this.drain();
        }, 0);
      }
    },
    trim() {
      const over = this.rows.length - this.maxLines;
      if (over <= 0) return;
      for (const old of this.rows.splice(0, over)) {
        old.node.remove();
        if (--old.block.count === 0) {
          old.block.node.remove();
          this.blocks.shift();
        }
        if (!old.item.k) {
          this.trimmed++;
          this.kept--;
          if (old.match) this.matched--;
        }
      }
    },
    place(row) {
      let block = this.blocks[this.blocks.length - 1];
      if (!block || block.filled >= BLOCK) {
        block = { node: document.createElement("div"), count: 0, filled: 0 };
        block.node.className = "log-block";
        this.blocks.push(block);
        this.$refs.lines.appendChild(block.node);
      }
      block.node.appendChild(row.node);
      block.count++;
      block.filled++;
      row.block = block;
      this.rows.push(row);
    },
    clear() {
      this.queue = [];
      this.rows = [];
      this.blocks = [];
      this.$refs.lines.replaceChildren();
      this.kept = this.skipped = this.trimmed = this.matched = 0;
    },
    refilter() {
      this.matched = 0;
      const items = this.rows.map((row) => row.item);
      this.rows = [];
      this.blocks = [];
      this.$refs.lines.replaceChildren();
      for (const item of items) this.place(this.build(item));
      if (this.follow) this.toBottom();
    },
    build(item) {
      const node = document.createElement("div");
      if (item.k) {
        node.className = "log-line log-marker log-skipped";
        node.textContent = `… ${item.k} lines skipped (too fast to show)`;
        return { item, node, match: false };
      }
      node.className = item.e ? "log-line log-stderr" : "log-line";
      const re = this.compiled.re;
      const match = !re || ((re.lastIndex = 0), re.test(item.plain));
      if (!match) node.hidden = true;
      else if (re) this.matched++;
      if (item.t) node.appendChild(this.span(item.t + " ", "log-time"));
      if (item.p) node.appendChild(this.span(item.p + " │ ", "log-prefix log-prefix-" + item.c));
      const ranges = re && match ? this.matches(item.plain, re) : [];
      if (item.s !== undefined && !ranges.length) {
        node.appendChild(document.createTextNode(item.s)); // text, never markup
        return { item, node, match };
      }
      let offset = 0;
      for (const [text, classes] of item.g || [[item.s, ""]]) {
        this.highlight(node, text, classes, offset, ranges);
        offset += text.length;
      }
      return { item, node, match };
    },
    matches(text, re) {
      // [start, end) of every match in the whole line: a match may span several colour segments.
      const ranges = [];
      re.lastIndex = 0;
      for (let m = re.exec(text); m; m = re.exec(text)) {
        if (m[0].length === 0) re.lastIndex++;
        else ranges.push([m.index, m.index + m[0].length]);
      }
      return ranges;
    },
    highlight(node, text, classes, offset, ranges) {
      let at = 0;
      for (const [start, end] of ranges) {
        const from = Math.max(start - offset, at);
        const to = Math.min(end - offset, text.length);
        if (to <= from) continue;
        if (from > at) node.appendChild(this.span(text.slice(at, from), classes));
        node.appendChild(this.span(text.slice(from, to), (classes + " log-match").trim()));
        at = to;
      }
      if (at < text.length) node.appendChild(this.span(text.slice(at), classes));
    },
    span(text, classes) {
      if (!classes) return document.createTextNode(text); // text, never markup
      const span = document.createElement("span");
      if (classes) span.className = classes;
      span.textContent = text; // text, never markup
      return span;
    },
    toBottom() {
      if (this.scrollPending) return;
      this.scrollPending = true;
      requestAnimationFrame(() => {
        this.scrollPending = false;
        const el = this.$refs.scroller;
        if (el) el.scrollTop = el.scrollHeight;
      });
    },
  },
};
