#!/usr/bin/env python3
"""A soak of the explorer window: drives the real attnscope window under Xvfb for N minutes as a
person would (typing, deleting, pasting long texts, switching views, layers, heads and models,
saving the view and the numbers) and reports crashes, memory (RSS over time) and whether
anything typed was lost.

    bench/gui_soak.py [--minutes N] [--attnscope PATH] [--shared DIR] [--out DIR] [--seed S]
                      [--slow F]

Defaults: 5 minutes, build/default/attnscope, ../shared (its fixtures are the models switched
to; without it only builtin:demo), build/gui-soak. Needs xvfb-run, xdotool and (for pasting
text from outside the window) xclip; scripts/setup.sh installs them. Without xclip, pastes
come from the window's own clipboard (select all, copy, paste).

Nothing typed is lost: the script keeps its own copy of the text as every keystroke should
leave it, and at every checkpoint (each minute and at the end) waits until the window has run
that text, saves the numbers with Ctrl+E and compares the exported JSON's "text" with its copy,
byte for byte. Memory: VmRSS of the process every two seconds goes to rss.csv (it follows the
text: a long text's attention is L x H x T x T floats); after each checkpoint the window is
brought to one fixed state (builtin:demo, a short text) and its RSS measured there, and those
baselines must stay flat.

Exit status 0 when the window never crashed, every checkpoint matched and the second half of the
baselines grew less than --max-slope MB per minute (default 1.0; the first minutes fill bounded
caches: glyphs, font sizes, 1000 undo steps, the allocator's pools), 1 otherwise, 77 when a tool
is missing. Not part of ctest (it takes minutes; 15 minutes gives a meaningful memory verdict).
"""
import argparse
import glob
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
LIMIT = 12000  # bytes the script lets the text grow to (the editor refuses edits past 16384)
WORDS = ("the cat sat on mat because it was tired and then a dog ran across street while "
         "birds sang softly over quiet river banks near old stone bridge").split()


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=5.0)
    p.add_argument("--attnscope", default=os.path.join(ROOT, "build/default/attnscope"))
    p.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    p.add_argument("--out", default=os.path.join(ROOT, "build/gui-soak"))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--max-slope", type=float, default=1.0)
    p.add_argument("--slow", type=float, default=1.0,
                   help="multiplies every wait (5 for a sanitizer build)")
    return p.parse_args()


def under_xvfb():
    """Re-runs this script inside xvfb-run unless it already is."""
    if os.environ.get("ATS_SOAK_INSIDE_XVFB"):
        return
    for tool in ("xvfb-run", "xauth", "xdotool"):
        if not shutil.which(tool):
            print("skipped: %s is not installed (scripts/setup.sh installs it)" % tool)
            sys.exit(77)
    env = dict(os.environ, ATS_SOAK_INSIDE_XVFB="1")
    cmd = ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24 -nolisten tcp", sys.executable] + sys.argv
    sys.exit(subprocess.call(cmd, env=env))


class Soak:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.out = os.path.abspath(args.out)
        shutil.rmtree(self.out, ignore_errors=True)
        self.exports = os.path.join(self.out, "exports")
        os.makedirs(self.exports)
        self.log = os.path.join(self.out, "latency.log")
        self.drops = os.path.join(self.out, "drops")
        self.stderr_path = os.path.join(self.out, "stderr.log")
        open(self.drops, "w").close()
        self.text = "Soak test:"
        self.model = "builtin:demo"
        self.counts = {}
        self.checks = []  # (minute, ok, detail)
        self.rss = []  # (seconds, kB, model)
        self.baselines = []  # (minutes, kB): RSS at each checkpoint's reset state
        self.exported_files = 0
        self.exported_bytes = 0
        self.failures = []
        self.proc = None
        self.wid = None
        self.t0 = time.time()
        self.xclip = shutil.which("xclip")
        self.models = self.find_models()

    def find_models(self):
        models = ["builtin:demo"]
        for rel in ("fixtures/hf/tiny-random-gpt2", "fixtures/hf/tiny-random-bert",
                    "fixtures/hf/stories260K-llama", "fixtures/gguf/stories260K.gguf",
                    "fixtures/llama2c/stories260K.bin"):
            path = os.path.join(self.args.shared, rel)
            if os.path.exists(path):
                models.append(os.path.abspath(path))
        return models

    # ---- the window ----------------------------------------------------------------------

    def start(self):
        # A fixed mmap threshold: glibc's moving one would keep freed blocks of up to 32 MB (a
        # long text's attention) in the heap, and RSS would not show what is still in use.
        env = dict(os.environ, ATS_LATENCY_LOG=self.log, ATS_TEST_DROP_FILE=self.drops,
                   MALLOC_MMAP_THRESHOLD_="131072")
        self.stderr = open(self.stderr_path, "w")
        self.proc = subprocess.Popen([self.args.attnscope, "--text", self.text, "--export-dir",
                                      self.exports], env=env, stderr=self.stderr,
                                     stdout=subprocess.DEVNULL)
        out = subprocess.run(["xdotool", "search", "--sync", "--onlyvisible", "--name",
                              "^attnscope"], capture_output=True, text=True, timeout=60)
        self.wid = out.stdout.split()[0] if out.stdout.split() else None
        if not self.wid:
            raise RuntimeError("no attnscope window within 60 s")
        subprocess.run(["xdotool", "windowfocus", "--sync", self.wid], check=False)
        threading.Thread(target=self.sample_rss, daemon=True).start()

    def alive(self):
        return self.proc.poll() is None

    def xdo(self, *args):
        if not self.alive():
            raise RuntimeError("attnscope exited with status %s" % self.proc.returncode)
        subprocess.run(["xdotool"] + list(args), check=False, timeout=120)

    def key(self, *keys, delay=30):
        self.xdo("key", "--delay", str(delay), *keys)

    def sample_rss(self):
        while self.alive():
            try:
                with open("/proc/%d/status" % self.proc.pid) as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            self.rss.append((time.time() - self.t0, int(line.split()[1]),
                                             self.model))
            except OSError:
                return
            time.sleep(2)

    def title(self):
        out = subprocess.run(["xdotool", "getwindowname", self.wid], capture_output=True,
                             text=True)
        return out.stdout.strip()

    # ---- waiting for the window ----------------------------------------------------------

    def last_update(self):
        """bytes and status of the newest update of the views in the latency log."""
        try:
            lines = [l for l in open(self.log) if l.startswith("seq=")]
        except OSError:
            return None
        if not lines:
            return None
        fields = dict(f.split("=", 1) for f in lines[-1].split() if "=" in f)
        return int(fields.get("bytes", -1)), fields.get("status"), fields.get("model")

    def last_echo(self):
        """The editor's length when the newest frame showing an edit was presented."""
        try:
            lines = [l for l in open(self.log) if l.startswith("echo ")]
        except OSError:
            return None
        return int(lines[-1].split()[1].split("=")[1]) if lines else None

    def wait_edited(self, length):
        end = time.time() + 60 * self.args.slow
        while time.time() < end:
            if self.last_echo() == length:
                return True
            if not self.alive():
                raise RuntimeError("attnscope exited with status %s" % self.proc.returncode)
            time.sleep(0.05)
        return False

    def wait_ran(self, seconds=120):
        """Until the newest update ran the script's text (by its length) without error."""
        want = len(self.text.encode())
        end = time.time() + seconds * self.args.slow
        while time.time() < end:
            u = self.last_update()
            if u and u[0] == want and u[1] == "ok":
                return True
            if not self.alive():
                raise RuntimeError("attnscope exited with status %s" % self.proc.returncode)
            time.sleep(0.1)
        return False

    # ---- actions ---------------------------------------------------------------------------

    def count(self, what):
        self.counts[what] = self.counts.get(what, 0) + 1
        with open(os.path.join(self.out, "actions.log"), "a") as f:
            f.write("%.2f %s bytes=%d\n" % (time.time() - self.t0, what, len(self.text.encode())))

    def words(self, n):
        out = []
        for _ in range(n):
            w = self.rng.choice(WORDS)
            r = self.rng.random()
            if r < 0.1:
                w = w.capitalize()
            elif r < 0.15:
                w += self.rng.choice(",.;:!")
            elif r < 0.2:
                w = str(self.rng.randint(0, 999))
            out.append(w)
        return " ".join(out)

    def type_text(self):
        s = " " + self.words(self.rng.randint(1, 8))
        if len(self.text) + len(s) > LIMIT:
            return self.clear()
        self.key("End")
        self.xdo("type", "--delay", str(self.rng.choice((5, 15, 40))), s)
        self.text += s
        self.count("type")

    def delete(self):
        n = min(self.rng.randint(1, 12), len(self.text) - 1)
        if n <= 0:
            return
        self.key("End")
        self.xdo("key", "--delay", "8", "--repeat", str(n), "BackSpace")
        self.text = self.text[:-n]
        self.count("delete")

    def clear(self):
        self.key("ctrl+a", "BackSpace")
        self.xdo("type", "--delay", "10", "Again:")
        self.text = "Again:"
        self.count("clear")

    def paste(self):
        if self.xclip:
            s = " " + self.words(self.rng.randint(30, 250))
            if len(self.text) + len(s) > LIMIT:
                return self.clear()
            subprocess.run([self.xclip, "-selection", "clipboard"], input=s.encode(), check=False,
                           stderr=subprocess.DEVNULL)
            if not self.clipboard_holds(s):
                self.failures.append("xclip did not take the clipboard within 5 s")
                return
            self.key("End", "ctrl+v")
            self.text += s
            # the window reads the clipboard when it handles Ctrl+V, which may be well after the
            # key was sent: the next paste must not change the clipboard before that
            if not self.wait_edited(len(self.text.encode())):
                self.failures.append("a paste did not reach the text within %d s (the text is "
                                     "%s bytes, expected %d)" % (60 * self.args.slow,
                                                                 self.last_echo(),
                                                                 len(self.text.encode())))
        else:  # the window's own clipboard: the whole text, pasted at its end
            if 2 * len(self.text) > LIMIT:
                return self.clear()
            self.key("ctrl+a", "ctrl+c", "End", "ctrl+v")
            self.text += self.text
        self.count("paste")

    def clipboard_holds(self, s):
        """xclip serves the clipboard from a child process: wait until it does, or Ctrl+V
        might paste what was there before."""
        end = time.time() + 5
        while time.time() < end:
            out = subprocess.run([self.xclip, "-o", "-selection", "clipboard"],
                                 capture_output=True, timeout=10)
            if out.stdout == s.encode():
                return True
            time.sleep(0.05)
        return False

    def undo_redo(self):
        """Ctrl+Z then Ctrl+Y leave the text as it was."""
        self.key("ctrl+z", "ctrl+y", delay=60)
        self.count("undo+redo")

    def view(self):
        self.key(self.rng.choice(("Tab", "shift+Tab")))
        self.count("view")

    def layer(self):
        self.key(self.rng.choice(("Up", "Down")))
        self.count("layer")

    def head(self):
        """Esc gives the views the keys (or first unlocks a token); Left/Right change the head
        there (or move the cursor: the next edit presses End first)."""
        self.key("Escape", self.rng.choice(("Left", "Right")), "Right")
        self.count("head")

    def presentation(self):
        self.key(self.rng.choice(("ctrl+plus", "ctrl+minus", "ctrl+0")))
        self.count("text size")

    def export(self):
        self.key(self.rng.choice(("ctrl+s", "ctrl+shift+s", "ctrl+e")))
        self.count("export")

    def switch_model(self, path=None):
        if len(self.models) < 2 or path == self.model:
            return
        path = path or self.rng.choice([m for m in self.models if m != self.model])
        with open(self.drops, "a") as f:
            f.write(path + "\n")
        name = "builtin:demo" if path == "builtin:demo" else os.path.basename(path)
        end = time.time() + 120 * self.args.slow
        while time.time() < end and self.title() != "attnscope - " + name:
            if not self.alive():
                raise RuntimeError("attnscope exited while opening %s" % path)
            time.sleep(0.2)
        if self.title() == "attnscope - " + name:
            self.model = "builtin:demo" if path == "builtin:demo" else name
            self.count("model")
        else:
            self.failures.append("model %s did not open within 120 s" % path)

    # ---- checkpoints -----------------------------------------------------------------------

    def checkpoint(self, retry=True):
        """Waits for the run of the script's text, saves the numbers, compares the text (twice
        before calling it lost: an update of the same length may have been an older text). On
        builtin:demo: the text is the editor's whatever the model, and a larger model's numbers
        for a long text can be gigabytes of JSON."""
        minute = (time.time() - self.t0) / 60
        if retry and self.model != "builtin:demo":
            self.switch_model("builtin:demo")
        if not self.wait_ran():
            u = self.last_update()
            self.checks.append((minute, False, "no run of the %d-byte text within 120 s (last "
                                "update: %s)" % (len(self.text.encode()), u)))
            return
        before = set(glob.glob(os.path.join(self.exports, "attnscope-run-*.json")))
        time.sleep(0.3)
        end = time.time() + 300 * self.args.slow
        new, pressed = [], 0
        while time.time() < end and not new:
            if time.time() - pressed > 15 * self.args.slow:  # refused while an earlier one
                self.key("ctrl+e")  # is still being written: press again
                pressed = time.time()
            new = sorted(set(glob.glob(os.path.join(self.exports, "attnscope-run-*.json"))) -
                         before)
            time.sleep(0.2)
        if not new:
            self.checks.append((minute, False, "Ctrl+E wrote no JSON within %d s" %
                                (300 * self.args.slow)))
            return
        time.sleep(0.2)
        try:
            got = json.load(open(new[-1], encoding="utf-8"))["text"]
        except (OSError, ValueError, KeyError) as e:
            self.checks.append((minute, False, "%s: %s" % (new[-1], e)))
            return
        if got != self.text and retry:  # a run still on its way: look again, once
            time.sleep(3)
            return self.checkpoint(retry=False)
        if got == self.text:
            self.checks.append((minute, True, "%d bytes, model %s" % (len(got), self.model)))
        else:
            i = next((k for k in range(min(len(got), len(self.text))) if got[k] != self.text[k]),
                     min(len(got), len(self.text)))
            self.checks.append((minute, False, "exported text differs at byte %d: %r vs typed %r"
                                % (i, got[max(0, i - 20):i + 20], self.text[max(0, i - 20):i + 20])))

    def sweep_exports(self):
        """Counts and removes the files exported so far (a long text's JSON can be a GB)."""
        for name in os.listdir(self.exports):
            path = os.path.join(self.exports, name)
            if not name.startswith("."):
                self.exported_files += 1
                self.exported_bytes += os.path.getsize(path)
                os.remove(path)

    def current_rss_kb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def reset_and_measure(self):
        """The same state at every checkpoint (builtin:demo, a short text, the heatmap's first
        layer and head), then its RSS: the baselines must stay flat, whatever the minute before
        did (the attention of a long text alone is L x H x T x T floats, hundreds of MB)."""
        if self.model != "builtin:demo":
            self.switch_model("builtin:demo")
        self.clear()
        if not self.wait_ran():
            self.failures.append("the reset text did not run within 120 s")
            return
        # steady: a data export may still be writing a long text's numbers
        end = time.time() + 300 * self.args.slow
        last = self.current_rss_kb()
        while time.time() < end:
            time.sleep(3)
            now = self.current_rss_kb()
            if abs(now - last) < 1024:
                break
            last = now
        self.baselines.append(((time.time() - self.t0) / 60, self.current_rss_kb()))
        self.sweep_exports()

    # ---- the run ---------------------------------------------------------------------------

    def run(self):
        actions = [(self.type_text, 30), (self.delete, 12), (self.paste, 6), (self.view, 10),
                   (self.layer, 8), (self.head, 8), (self.export, 6), (self.undo_redo, 3),
                   (self.presentation, 2), (self.switch_model, 2)]
        fns, weights = zip(*actions)
        self.start()
        if not self.wait_ran(60):
            self.failures.append("the first text did not run within 60 s")
        deadline = self.t0 + self.args.minutes * 60
        next_check = self.t0 + 60
        try:
            while time.time() < deadline:
                self.rng.choices(fns, weights)[0]()
                if time.time() >= next_check:
                    self.checkpoint()
                    self.reset_and_measure()
                    next_check = time.time() + 60
            self.checkpoint()
            self.key("ctrl+q")
            try:
                self.proc.wait(300 * self.args.slow)
            except subprocess.TimeoutExpired:
                self.failures.append("Ctrl+Q did not close the window in time")
                self.proc.send_signal(signal.SIGKILL)
                self.proc.wait()
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            self.failures.append(str(e))
            if self.alive():
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()
        status = self.proc.returncode
        if status != 0:
            self.failures.append("attnscope exited with status %s" % status)
        text = open(self.stderr_path, errors="replace").read()
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "WARNING: ThreadSanitizer",
                       "runtime error:", "internal error"):
            if marker in text:
                self.failures.append("stderr holds '%s' (see %s)" % (marker, self.stderr_path))
        return self.report()

    def report(self):
        minutes = (time.time() - self.t0) / 60
        with open(os.path.join(self.out, "rss.csv"), "w") as f:
            f.write("seconds,rss_kb,model\n")
            for t, kb, m in self.rss:
                f.write("%.1f,%d,%s\n" % (t, kb, m))
        print("attnscope GUI soak: %.1f minutes, seed %d, %d models available" %
              (minutes, self.args.seed, len(self.models)))
        print("actions: " + ", ".join("%s %d" % kv for kv in sorted(self.counts.items())))
        self.sweep_exports()
        print("exports written: %d files, %.1f MB" % (self.exported_files,
                                                      self.exported_bytes / 2**20))
        ok = not self.failures
        for minute, good, detail in self.checks:
            print("checkpoint at %4.1f min: %s (%s)" % (minute, "text intact" if good else "FAILED",
                                                        detail))
            ok = ok and good
        if self.rss:
            kbs = [kb for _, kb, _ in self.rss]
            print("RSS over the run: start %.1f MB, highest %.1f MB, end %.1f MB (%d samples, "
                  "rss.csv)" % (kbs[0] / 1024, max(kbs) / 1024, kbs[-1] / 1024, len(kbs)))
        print("RSS at each checkpoint's reset state (builtin:demo, a 6-byte text): " +
              ", ".join("%.1f min %.1f MB" % (m, kb / 1024) for m, kb in self.baselines))
        # the first minutes fill what is bounded (glyph cache, font sizes, 1000 undo steps, the
        # allocator's pools): the second half of the baselines must be flat
        later = self.baselines[len(self.baselines) // 2:]
        if len(later) >= 3:
            n = len(later)
            mt = sum(m for m, _ in later) / n
            mk = sum(kb for _, kb in later) / n
            var = sum((m - mt) ** 2 for m, _ in later)
            slope = sum((m - mt) * (kb - mk) for m, kb in later) / var / 1024 if var else 0
            print("baseline RSS over the second half: %+.2f MB/min (limit %.2f)" %
                  (slope, self.args.max_slope))
            if slope > self.args.max_slope:
                self.failures.append("memory grows %.2f MB/min at the same state" % slope)
                ok = False
        else:
            print("baseline RSS: too few checkpoints for a slope (run 6 minutes or more)")
        for f in self.failures:
            print("FAIL: " + f)
        print("verdict: %s (logs, rss.csv and exports in %s)" % ("PASS" if ok else "FAIL",
                                                                self.out))
        return 0 if ok else 1


def main():
    args = parse_args()
    under_xvfb()
    if not os.access(args.attnscope, os.X_OK):
        print("no attnscope program at %s (build it first)" % args.attnscope)
        return 2
    return Soak(args).run()


if __name__ == "__main__":
    sys.exit(main())
