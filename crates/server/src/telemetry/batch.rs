//! Log lines go to stdout in batches from a thread of their own.
//!
//! A request appends its line to a shared buffer (one lock and one copy, no
//! allocation, nothing to wake); the flusher writes the buffer out every
//! 20 ms, or at once when it passes 64 KiB. Nothing is dropped: a writer
//! that finds 8 MiB waiting (stdout blocked) waits for the flusher. The
//! guard flushes what is left when the program ends.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

const FLUSH_EVERY: Duration = Duration::from_millis(20);
const FLUSH_AT_BYTES: usize = 64 * 1024;
const BLOCK_AT_BYTES: usize = 8 * 1024 * 1024;

struct Shared {
    state: Mutex<State>,
    /// Wakes the flusher (buffer large, or stopping).
    flush_needed: Condvar,
    /// Wakes writers waiting for room.
    flushed: Condvar,
}

#[derive(Default)]
struct State {
    pending: Vec<u8>,
    stopping: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves a buffer of whole lines.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The writer given to the log formatter.
#[derive(Clone)]
pub struct BatchWriter {
    shared: Arc<Shared>,
}

/// Flushes the remaining lines and stops the flusher when dropped.
pub struct BatchGuard {
    shared: Arc<Shared>,
    flusher: Option<JoinHandle<()>>,
}

/// Starts the flusher writing to `output`.
pub fn start<W: Write + Send + 'static>(output: W) -> (BatchWriter, BatchGuard) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State::default()),
        flush_needed: Condvar::new(),
        flushed: Condvar::new(),
    });
    let flusher = {
        let shared = shared.clone();
        std::thread::Builder::new()
            .name("log-flusher".to_owned())
            .spawn(move || flush_loop(&shared, output))
            .ok()
    };
    (BatchWriter { shared: shared.clone() }, BatchGuard { shared, flusher })
}

fn flush_loop<W: Write>(shared: &Shared, mut output: W) {
    let mut spare = Vec::with_capacity(FLUSH_AT_BYTES);
    loop {
        let stopping = {
            let mut state = shared.lock();
            if state.pending.is_empty() && !state.stopping {
                state = shared
                    .flush_needed
                    .wait_timeout(state, FLUSH_EVERY)
                    .map(|(state, _)| state)
                    .unwrap_or_else(|poisoned| poisoned.into_inner().0);
            }
            std::mem::swap(&mut state.pending, &mut spare);
            state.stopping
        };
        shared.flushed.notify_all();
        if !spare.is_empty() {
            // Nowhere to report a failing stdout; the lines are lost either way.
            let _ = output.write_all(&spare).and_then(|()| output.flush());
            spare.clear();
        }
        if stopping && shared.lock().pending.is_empty() {
            return;
        }
        if spare.capacity() > 4 * FLUSH_AT_BYTES {
            spare.shrink_to(FLUSH_AT_BYTES);
        }
    }
}

impl Write for BatchWriter {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        self.shared.append(line);
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn append(&self, line: &[u8]) {
        let mut state = self.lock();
        while state.pending.len() >= BLOCK_AT_BYTES && !state.stopping {
            state = self
                .flushed
                .wait(state)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        let was_below = state.pending.len() < FLUSH_AT_BYTES;
        state.pending.extend_from_slice(line);
        if was_below && state.pending.len() >= FLUSH_AT_BYTES {
            self.flush_needed.notify_one();
        }
    }
}

/// What the formatter writes one event through: a borrow, so an event
/// costs no reference count.
pub struct LineWriter<'w>(&'w Shared);

impl Write for LineWriter<'_> {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        self.0.append(line);
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'w> MakeWriter<'w> for BatchWriter {
    type Writer = LineWriter<'w>;

    fn make_writer(&'w self) -> Self::Writer {
        LineWriter(&self.shared)
    }
}

impl Drop for BatchGuard {
    fn drop(&mut self) {
        self.shared.lock().stopping = true;
        self.shared.flush_needed.notify_one();
        if let Some(flusher) = self.flusher.take() {
            let _ = flusher.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_line_reaches_the_output_in_order_by_the_time_the_guard_drops() {
        let sink = Sink::default();
        let (writer, guard) = start(sink.clone());
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let mut writer = writer.clone();
                std::thread::spawn(move || {
                    for i in 0..5_000 {
                        writer.write_all(format!("{t}:{i}\n").as_bytes()).unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        drop(guard);
        let out = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert_eq!(out.lines().count(), 20_000);
        for t in 0..4 {
            let mine: Vec<usize> = out
                .lines()
                .filter_map(|l| l.strip_prefix(&format!("{t}:")))
                .map(|n| n.parse().unwrap())
                .collect();
            assert_eq!(mine, (0..5_000).collect::<Vec<_>>(), "thread {t}'s lines in order");
        }
    }

    #[test]
    fn a_quiet_program_still_sees_its_lines_promptly() {
        let sink = Sink::default();
        let (mut writer, _guard) = start(sink.clone());
        writer.write_all(b"one line\n").unwrap();
        std::thread::sleep(FLUSH_EVERY * 5);
        assert_eq!(sink.0.lock().unwrap().as_slice(), b"one line\n");
    }
}
