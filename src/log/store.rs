//! Where records go: the storage interface, the file store, and the group-commit writer.
//!
//! # The contract of [`LogStore`] (durable before acknowledged)
//!
//! - Positions: every record has a sequence number in the store, its position: 0 for the
//!   header, counting every record (inputs and checkpoints alike). (An input's own `seq` counts
//!   inputs only; the store does not need to know the difference.)
//! - `append(first_seq, records)` appends complete records (each one line, without its `\n`)
//!   whose first position must be `first_seq`, the store's `next_seq()`; otherwise it is
//!   refused with [`StoreError::Conflict`] and nothing is written (another writer got there
//!   first). It returns `Ok` only when every record is durable: it survives a crash or a power
//!   cut. The caller acknowledges nothing before that `Ok`.
//! - A failed write or sync is never retried: the store halts and refuses every later append
//!   with [`StoreError::Halted`], because after a failed fsync the state of the file is unknown.
//!   Whatever was not confirmed was never acknowledged.
//! - `read_from(seq)` returns the records from `seq` on, in order.
//!
//! A replicated backend (PostgreSQL is planned) implements the same trait: `append` at an
//! expected sequence number maps to a conditional insert, durability to a synchronous commit.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::mpsc::{self, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use tokio::sync::oneshot;

use crate::core::Seq;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error(
        "append at position {got} refused: the log's next position is {expected} (another writer got there first)"
    )]
    Conflict { expected: Seq, got: Seq },
    #[error("the log has halted after an earlier failure ({0}); it accepts nothing more")]
    Halted(String),
    #[error("log write failed: {0}")]
    Io(String),
    #[error("the log writer has stopped")]
    WriterGone,
}

/// The storage interface. See the module documentation for the durability contract.
pub trait LogStore: Send {
    fn next_seq(&self) -> Seq;
    fn append(&mut self, first_seq: Seq, records: &[Vec<u8>]) -> Result<(), StoreError>;
    fn read_from(&mut self, seq: Seq) -> Result<Vec<Vec<u8>>, StoreError>;
}

/// The bytes underneath a [`FileStore`]: a real file, or a simulated disk in tests.
pub trait LogFile: Send {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Make everything appended so far durable (fdatasync for a real file).
    fn sync(&mut self) -> io::Result<()>;
    fn read_all(&mut self) -> io::Result<Vec<u8>>;
}

impl LogFile for File {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.seek(SeekFrom::End(0))?;
        self.write_all(bytes)
    }
    fn sync(&mut self) -> io::Result<()> {
        self.sync_data()
    }
    fn read_all(&mut self) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        self.seek(SeekFrom::Start(0))?;
        self.read_to_end(&mut out)?;
        Ok(out)
    }
}

/// A log in one append-only file (one record per line).
pub struct FileStore<F: LogFile> {
    file: F,
    next_seq: Seq,
    halted: Option<String>,
    /// The planted bug of the power-cut test: acknowledge after the write, sync later.
    ack_before_sync: bool,
    unsynced: bool,
    /// `veiling serve --unsafe-no-sync` (measurements only): never fdatasync.
    no_sync: bool,
}

impl<F: LogFile> FileStore<F> {
    /// A store over `file`, whose existing records end just before `next_seq`.
    pub fn new(file: F, next_seq: Seq) -> Self {
        FileStore {
            file,
            next_seq,
            halted: None,
            ack_before_sync: false,
            unsynced: false,
            no_sync: false,
        }
    }

    /// UNSAFE, for measurements only (`veiling serve --unsafe-no-sync`, the load test's
    /// `r_transport`): appends are written but never synced, so a crash or power cut can lose
    /// records that were acknowledged.
    pub fn unsafe_without_sync(mut self) -> Self {
        self.no_sync = true;
        self
    }

    /// DELIBERATELY BROKEN, for the negative power-cut test only: acknowledge an append once it
    /// is written, before it is synced. The test must catch the loss this causes.
    #[doc(hidden)]
    pub fn with_planted_ack_before_sync_bug(mut self) -> Self {
        self.ack_before_sync = true;
        self
    }

    fn halt(&mut self, e: io::Error) -> StoreError {
        let message = e.to_string();
        self.halted = Some(message.clone());
        StoreError::Io(message)
    }
}

impl<F: LogFile> LogStore for FileStore<F> {
    fn next_seq(&self) -> Seq {
        self.next_seq
    }

    fn append(&mut self, first_seq: Seq, records: &[Vec<u8>]) -> Result<(), StoreError> {
        if let Some(why) = &self.halted {
            return Err(StoreError::Halted(why.clone()));
        }
        if first_seq != self.next_seq {
            return Err(StoreError::Conflict {
                expected: self.next_seq,
                got: first_seq,
            });
        }
        if self.unsynced {
            self.file.sync().map_err(|e| self.halt(e))?;
            self.unsynced = false;
        }
        let mut bytes = Vec::with_capacity(records.iter().map(|r| r.len() + 1).sum());
        for r in records {
            bytes.extend_from_slice(r);
            bytes.push(b'\n');
        }
        self.file.append(&bytes).map_err(|e| self.halt(e))?;
        if self.ack_before_sync {
            self.unsynced = true;
        } else if !self.no_sync {
            self.file.sync().map_err(|e| self.halt(e))?;
        }
        self.next_seq += records.len() as Seq;
        Ok(())
    }

    fn read_from(&mut self, seq: Seq) -> Result<Vec<Vec<u8>>, StoreError> {
        let bytes = self
            .file
            .read_all()
            .map_err(|e| StoreError::Io(e.to_string()))?;
        Ok(split_records(&bytes, seq))
    }
}

/// A file store on disk that can also read itself back.
pub struct DiskStore {
    inner: FileStore<File>,
}

impl DiskStore {
    /// Open an existing log file for appending after `next_seq - 1`.
    pub fn open_append(path: &Path, next_seq: Seq) -> io::Result<Self> {
        let file = OpenOptions::new().read(true).append(true).open(path)?;
        Ok(DiskStore {
            inner: FileStore::new(file, next_seq),
        })
    }

    /// See [`FileStore::unsafe_without_sync`].
    pub fn unsafe_without_sync(self) -> Self {
        DiskStore {
            inner: self.inner.unsafe_without_sync(),
        }
    }

    /// Create a new log file holding `header` (durable, directory entry included).
    pub fn create(path: &Path, header: &[u8]) -> io::Result<Self> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create_new(true)
            .open(path)?;
        file.write_all(header)?;
        file.write_all(b"\n")?;
        file.sync_data()?;
        sync_dir(path)?;
        Ok(DiskStore {
            inner: FileStore::new(file, 1),
        })
    }
}

/// The complete records (lines ended by `\n`) from `seq` on; a torn last line is not a record.
fn split_records(bytes: &[u8], seq: Seq) -> Vec<Vec<u8>> {
    let complete = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    bytes[..complete]
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .skip(seq as usize)
        .map(<[u8]>::to_vec)
        .collect()
}

/// fsync the directory holding `path`, so that a new file's entry is durable too.
pub fn sync_dir(path: &Path) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

impl LogStore for DiskStore {
    fn next_seq(&self) -> Seq {
        self.inner.next_seq()
    }
    fn append(&mut self, first_seq: Seq, records: &[Vec<u8>]) -> Result<(), StoreError> {
        self.inner.append(first_seq, records)
    }
    fn read_from(&mut self, seq: Seq) -> Result<Vec<Vec<u8>>, StoreError> {
        self.inner.read_from(seq)
    }
}

/// Jobs waiting for the writer at most; a full queue makes the caller wait (backpressure).
pub const WRITER_QUEUE_MAX: usize = 4096;
/// A group commit stops taking queued jobs once it holds this many records (the job that
/// reaches the limit is taken whole, so a batch can exceed it by that one job's records).
pub const BATCH_RECORDS_MAX: usize = 4096;

struct Job {
    first_seq: Seq,
    records: Vec<Vec<u8>>,
    done: oneshot::Sender<Result<(), StoreError>>,
}

/// A ticket for an appended batch: wait on it before acknowledging. Synchronous callers `wait`;
/// the server's auction actor awaits `done` (never `wait` inside the async runtime).
pub struct Pending(oneshot::Receiver<Result<(), StoreError>>);

impl Pending {
    pub fn wait(self) -> Result<(), StoreError> {
        self.0
            .blocking_recv()
            .unwrap_or(Err(StoreError::WriterGone))
    }

    pub async fn done(self) -> Result<(), StoreError> {
        self.0.await.unwrap_or(Err(StoreError::WriterGone))
    }
}

/// Told of every group commit: the records it held and how long the append and sync took.
pub type CommitObserver = Box<dyn Fn(usize, std::time::Duration) + Send>;

/// How the writer of an opened log behaves ([`super::recorder::open`]).
#[derive(Default)]
pub struct WriterOptions {
    /// Told of every group commit (the server's metrics).
    pub observer: Option<CommitObserver>,
    /// UNSAFE, for measurements only: see [`FileStore::unsafe_without_sync`].
    pub unsafe_no_sync: bool,
}

/// The dedicated writer: a thread that takes whatever is queued (until the batch holds
/// [`BATCH_RECORDS_MAX`] records), appends it in one write, syncs once, and only then completes
/// every job in the batch. Or, for a store that does not sync, [`Writer::inline`].
pub struct Writer {
    how: How,
    stats: Arc<Mutex<WriterStats>>,
}

enum How {
    Thread {
        tx: Option<SyncSender<Job>>,
        thread: Option<JoinHandle<()>>,
    },
    /// Appended on the caller's thread.
    Inline(Mutex<Committer>),
}

/// The store with what is told of each append: one group commit, the same for both writers.
struct Committer {
    store: Box<dyn LogStore>,
    observer: Option<CommitObserver>,
    stats: Arc<Mutex<WriterStats>>,
}

impl Committer {
    fn commit(&mut self, first_seq: Seq, records: &[Vec<u8>]) -> Result<(), StoreError> {
        let started = std::time::Instant::now();
        let result = self.store.append(first_seq, records);
        if let Some(observe) = &self.observer {
            observe(records.len(), started.elapsed());
        }
        // Stats count what was written.
        if result.is_ok()
            && let Ok(mut s) = self.stats.lock()
        {
            s.batches += 1;
            s.records += records.len() as u64;
        }
        result
    }
}

/// Group commits and records written (appends that failed are not counted).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriterStats {
    pub batches: u64,
    pub records: u64,
}

impl Writer {
    pub fn spawn(store: Box<dyn LogStore>) -> Writer {
        Writer::spawn_observed(store, None)
    }

    /// A writer that tells `observer` of every group commit (the server's metrics).
    pub fn spawn_observed(store: Box<dyn LogStore>, observer: Option<CommitObserver>) -> Writer {
        let (tx, rx) = mpsc::sync_channel::<Job>(WRITER_QUEUE_MAX);
        let stats = Arc::new(Mutex::new(WriterStats::default()));
        let mut committer = Committer {
            store,
            observer,
            stats: Arc::clone(&stats),
        };
        let thread = std::thread::Builder::new()
            .name("log-writer".into())
            .spawn(move || {
                while let Ok(first) = rx.recv() {
                    let mut batch = vec![first];
                    let mut count = batch[0].records.len();
                    while count < BATCH_RECORDS_MAX {
                        match rx.try_recv() {
                            Ok(job) => {
                                count += job.records.len();
                                batch.push(job);
                            }
                            Err(_) => break,
                        }
                    }
                    // Contiguous jobs go out in one append (one sync); a gap is a caller error
                    // that the store refuses for the jobs concerned.
                    let contiguous = batch
                        .windows(2)
                        .all(|w| w[0].first_seq + w[0].records.len() as Seq == w[1].first_seq);
                    if contiguous {
                        let records: Vec<Vec<u8>> = batch
                            .iter_mut()
                            .flat_map(|j| std::mem::take(&mut j.records))
                            .collect();
                        let result = committer.commit(batch[0].first_seq, &records);
                        for job in batch {
                            let _ = job.done.send(result.clone());
                        }
                    } else {
                        for job in batch {
                            let result = committer.store.append(job.first_seq, &job.records);
                            let _ = job.done.send(result);
                        }
                    }
                }
            })
            .ok();
        Writer {
            how: How::Thread {
                tx: Some(tx),
                thread,
            },
            stats,
        }
    }

    /// A writer without a thread: `submit` appends on the caller's thread and returns a ticket
    /// that is already complete. Only for a store that does not sync
    /// ([`FileStore::unsafe_without_sync`]): its append is a copy into the page cache, and the
    /// writer thread exists to keep fdatasync off the caller's thread. Without the sync, the
    /// hand-off to that thread and back (two thread wake-ups per group commit) would be all that
    /// is left of it, and a measurement of the transport without the disk would count them.
    pub fn inline(store: Box<dyn LogStore>, observer: Option<CommitObserver>) -> Writer {
        let stats = Arc::new(Mutex::new(WriterStats::default()));
        Writer {
            how: How::Inline(Mutex::new(Committer {
                store,
                observer,
                stats: Arc::clone(&stats),
            })),
            stats,
        }
    }

    /// Queue records for appending; wait on the ticket before acknowledging anything in them.
    pub fn submit(&self, first_seq: Seq, records: Vec<Vec<u8>>) -> Pending {
        let (done, rx) = oneshot::channel();
        match &self.how {
            How::Inline(committer) => {
                let result = match committer.lock() {
                    Ok(mut c) => c.commit(first_seq, &records),
                    Err(_) => Err(StoreError::WriterGone),
                };
                let _ = done.send(result);
            }
            How::Thread { tx: Some(tx), .. } => {
                let _ = tx.send(Job {
                    first_seq,
                    records,
                    done,
                });
            }
            How::Thread { tx: None, .. } => {}
        }
        Pending(rx)
    }

    /// Append and wait until durable.
    pub fn append(&self, first_seq: Seq, records: Vec<Vec<u8>>) -> Result<(), StoreError> {
        self.submit(first_seq, records).wait()
    }

    pub fn stats(&self) -> WriterStats {
        self.stats.lock().map(|s| *s).unwrap_or_default()
    }
}

impl Drop for Writer {
    /// Finish and sync everything queued, then stop.
    fn drop(&mut self) {
        if let How::Thread { tx, thread } = &mut self.how {
            tx.take();
            if let Some(t) = thread.take() {
                let _ = t.join();
            }
        }
    }
}

/// A simulated disk for power-cut tests: appended bytes are volatile until synced; a crash
/// keeps what was synced plus an arbitrary prefix of the rest (a torn write).
#[derive(Clone, Default)]
pub struct SimDisk {
    state: Arc<Mutex<SimState>>,
}

#[derive(Default)]
struct SimState {
    durable: Vec<u8>,
    volatile: Vec<u8>,
    /// The sync with this number (0-based) fails, and the disk is dead from then on.
    fail_sync_at: Option<u64>,
    syncs: u64,
    dead: bool,
}

impl SimDisk {
    pub fn new(durable: Vec<u8>) -> Self {
        SimDisk {
            state: Arc::new(Mutex::new(SimState {
                durable,
                ..SimState::default()
            })),
        }
    }

    /// Make the `n`-th sync (0-based) fail: the power goes at that moment.
    pub fn fail_sync_at(&self, n: u64) {
        if let Ok(mut s) = self.state.lock() {
            s.fail_sync_at = Some(n);
        }
    }

    /// What the disk holds after the power cut: the synced bytes and the first `keep` of the
    /// unsynced ones (clamped).
    pub fn after_crash(&self, keep: usize) -> Vec<u8> {
        match self.state.lock() {
            Ok(s) => {
                let mut out = s.durable.clone();
                out.extend_from_slice(&s.volatile[..keep.min(s.volatile.len())]);
                out
            }
            Err(_) => Vec::new(),
        }
    }

    pub fn volatile_len(&self) -> usize {
        self.state.lock().map(|s| s.volatile.len()).unwrap_or(0)
    }
}

impl LogFile for SimDisk {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        let mut s = self
            .state
            .lock()
            .map_err(|_| io::Error::other("poisoned"))?;
        if s.dead {
            return Err(io::Error::other("simulated disk is gone"));
        }
        s.volatile.extend_from_slice(bytes);
        Ok(())
    }
    fn sync(&mut self) -> io::Result<()> {
        let mut s = self
            .state
            .lock()
            .map_err(|_| io::Error::other("poisoned"))?;
        if s.dead || s.fail_sync_at == Some(s.syncs) {
            s.dead = true;
            return Err(io::Error::other("simulated power cut during fsync"));
        }
        s.syncs += 1;
        let v = std::mem::take(&mut s.volatile);
        s.durable.extend_from_slice(&v);
        Ok(())
    }
    fn read_all(&mut self) -> io::Result<Vec<u8>> {
        let s = self
            .state
            .lock()
            .map_err(|_| io::Error::other("poisoned"))?;
        let mut out = s.durable.clone();
        out.extend_from_slice(&s.volatile);
        Ok(out)
    }
}
