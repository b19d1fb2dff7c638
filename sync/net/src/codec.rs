//! Frames on the wire: a request carries a batch of sync frames, each prefixed by
//! its length, after the tag of the sender's session and the tag of the receiver's
//! session it answers (0 for none yet); the response is one byte, an
//! acknowledgement. Lengths are checked against the limits before anything is
//! allocated.
//!
//! On [`SYNC_PROTOCOL`] a byte after the tags says whether the frames that
//! follow are compressed, as one LZ4 block: a batch answering many `Want`s
//! holds the changes of many documents, which repeat their authors' actor ids,
//! field names and values across documents, so compressing the batch whole
//! takes off far more than compressing each document's list alone could
//! (those lists now travel as they are). LZ4 rather than deflate: it shrinks
//! these batches almost as much (2.3 against 2.4 times) at nearly four times
//! the speed, which a server sending each peer its own copy needs. A batch
//! with less than [`COMPRESS_FROM`] bytes of changes, one made mostly of
//! announcements and wants (hashes, which do not shrink), one compressing does
//! not shrink, or one it would shrink more than [`MAX_INFLATION`] times is
//! sent plain. Reading a compressed batch is bounded as a plain one is: the
//! size it names may not pass the batch limit, nor [`MAX_INFLATION`] times its
//! compressed size, the block is read as it arrives (its length reserves
//! nothing), and it must hold exactly that size; a node reads at most
//! [`MAX_STREAMS`] batches of one connection at once. Batches with fewer
//! changes, and every batch to an older peer, go plain.
//! [`PLAIN_SYNC_PROTOCOL`], the batches without that byte, is still spoken
//! with peers that offer nothing newer.
//!
//! The codec counts the bytes of every batch and acknowledgement it writes and
//! reads ([`WireCount`]): what a run's totals report.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::StreamProtocol;
use libp2p::request_response::Codec;
use rally_core::protocol::{FrameLimit, Message};

/// The sync protocol's name on libp2p streams: batches that may be compressed.
pub const SYNC_PROTOCOL: StreamProtocol = StreamProtocol::new("/rally/sync/3");
/// The previous name: the same batches, always plain.
pub const PLAIN_SYNC_PROTOCOL: StreamProtocol = StreamProtocol::new("/rally/sync/2");

/// The most frames one batch carries.
const MAX_FRAMES: u32 = 100_000;
/// How many times its compressed size a batch may grow to. Batches of
/// changes shrink two to three times; a bound this low keeps what a peer's
/// bytes make this side hold (before it has even authenticated: the codec
/// reads every stream) within a few times what it sent.
pub const MAX_INFLATION: usize = 8;
/// Batches read at once from one connection; an honest peer has one in flight.
pub const MAX_STREAMS: usize = 8;
/// Batches with fewer bytes of changes than this go plain. A full sync's
/// batches answer hundreds of wants and are far larger; a live round's few
/// changes gain little.
pub const COMPRESS_FROM: usize = 32 * 1024;
const PLAIN: u8 = 0;
const LZ4: u8 = 1;

/// Reads and writes batches; refuses a frame over its limit.
#[derive(Debug, Clone, Default)]
pub struct FrameCodec {
    pub limit: FrameLimit,
    pub wire: WireCount,
}

/// Bytes written and read by a codec and its clones (one per stream).
#[derive(Debug, Clone, Default)]
pub struct WireCount(Arc<[AtomicU64; 2]>);

impl WireCount {
    pub fn sent(&self) -> u64 {
        self.0[0].load(Ordering::Relaxed)
    }

    pub fn received(&self) -> u64 {
        self.0[1].load(Ordering::Relaxed)
    }

    fn add_sent(&self, n: usize) {
        self.0[0].fetch_add(n as u64, Ordering::Relaxed);
    }

    fn add_received(&self, n: usize) {
        self.0[1].fetch_add(n as u64, Ordering::Relaxed);
    }
}

/// A batch of frames from one session. The tag lets the receiver drop frames of
/// a session the sender has since started over (still on the way when it did);
/// `answers` names the receiver's session whose `Hello` the sender's session took
/// in (0: none yet), so a receiver can tell a peer that restarted in answer to it
/// from one that restarted on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub session: u64,
    pub answers: u64,
    pub frames: Vec<Vec<u8>>,
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

async fn read_u32<T: AsyncRead + Unpin>(io: &mut T) -> io::Result<u32> {
    let mut buf = [0u8; 4];
    io.read_exact(&mut buf).await?;
    Ok(u32::from_le_bytes(buf))
}

/// Reads one batch as a peer sent it on [`PLAIN_SYNC_PROTOCOL`]: bounded in
/// frames, in each frame's size (`limit`) and in total (twice that), whatever
/// the bytes say.
pub async fn read_batch<T: AsyncRead + Unpin>(io: &mut T, limit: FrameLimit) -> io::Result<Batch> {
    let (session, answers) = read_tags(io).await?;
    let frames = read_frames(io, limit).await?;
    Ok(Batch {
        session,
        answers,
        frames,
    })
}

/// Reads one batch as a peer sent it on [`SYNC_PROTOCOL`]: plain as
/// [`read_batch`] reads it, or compressed, with the same bounds on what it
/// grows to, and at most [`MAX_INFLATION`] times its compressed size.
pub async fn read_packed_batch<T: AsyncRead + Unpin>(
    io: &mut T,
    limit: FrameLimit,
) -> io::Result<Batch> {
    let (session, answers) = read_tags(io).await?;
    let mut kind = [0u8; 1];
    io.read_exact(&mut kind).await?;
    let frames = match kind[0] {
        PLAIN => read_frames(io, limit).await?,
        LZ4 => {
            let size = read_u32(io).await? as usize;
            let len = read_u32(io).await? as usize;
            // The writer compresses only what shrinks, and not past the ratio.
            if len >= size || size > plain_bound(limit).min(len.saturating_mul(MAX_INFLATION)) {
                return Err(invalid("a compressed batch past its bounds"));
            }
            // Read as it arrives: a length alone reserves nothing.
            let mut packed = Vec::new();
            (&mut *io).take(len as u64).read_to_end(&mut packed).await?;
            if packed.len() != len {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            let mut plain = vec![0u8; size];
            let unpacked = lz4_flex::block::decompress_into(&packed, &mut plain);
            drop(packed);
            if unpacked.ok() != Some(size) {
                return Err(invalid("a compressed batch that does not hold its size"));
            }
            let mut cursor = futures::io::Cursor::new(plain.as_slice());
            let frames = read_frames(&mut cursor, limit).await?;
            if (cursor.position() as usize) != plain.len() {
                return Err(invalid("bytes after a compressed batch's frames"));
            }
            frames
        }
        _ => return Err(invalid("an unknown batch encoding")),
    };
    Ok(Batch {
        session,
        answers,
        frames,
    })
}

/// The most bytes a batch's frames with their count and lengths take plain.
fn plain_bound(limit: FrameLimit) -> usize {
    2 * limit.bytes() + 4 * (MAX_FRAMES as usize + 1)
}

async fn read_tags<T: AsyncRead + Unpin>(io: &mut T) -> io::Result<(u64, u64)> {
    let mut tag = [0u8; 8];
    io.read_exact(&mut tag).await?;
    let mut answers = [0u8; 8];
    io.read_exact(&mut answers).await?;
    Ok((u64::from_le_bytes(tag), u64::from_le_bytes(answers)))
}

async fn read_frames<T: AsyncRead + Unpin>(
    io: &mut T,
    limit: FrameLimit,
) -> io::Result<Vec<Vec<u8>>> {
    let count = read_u32(io).await?;
    if count > MAX_FRAMES {
        return Err(invalid("too many frames in one batch"));
    }
    let mut frames = Vec::new();
    let mut total = 0usize;
    for _ in 0..count {
        let len = read_u32(io).await? as usize;
        total += len;
        if len > limit.bytes() || total > 2 * limit.bytes() {
            return Err(invalid("a frame over the size limit"));
        }
        let mut frame = vec![0u8; len];
        io.read_exact(&mut frame).await?;
        frames.push(frame);
    }
    Ok(frames)
}

/// The frames with their count and lengths, as both protocols lay them out.
fn frames_bytes(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut buf = Vec::with_capacity(4 + frames.iter().map(|f| f.len() + 4).sum::<usize>());
    buf.extend_from_slice(&(frames.len() as u32).to_le_bytes());
    for f in frames {
        buf.extend_from_slice(&(f.len() as u32).to_le_bytes());
        buf.extend_from_slice(f);
    }
    buf
}

/// Whether compressing a batch pays: its changes (what repeats across
/// documents) are [`COMPRESS_FROM`] bytes or more and at least half of it.
/// Announcements and wants are mostly hashes, which do not shrink: a batch
/// made mostly of them goes plain, which spares a server compressing every
/// peer's announcements for nothing.
fn worth_compressing(frames: &[Vec<u8>]) -> bool {
    let (mut changes, mut total) = (0, 0);
    for f in frames {
        total += f.len();
        if Message::is_changes(f) {
            changes += f.len();
        }
    }
    changes >= COMPRESS_FROM && 2 * changes >= total
}

/// A batch as [`SYNC_PROTOCOL`] carries it: compressed when that pays and
/// stays within what a reader takes.
pub fn packed_batch(batch: &Batch) -> Vec<u8> {
    let plain = frames_bytes(&batch.frames);
    let mut buf = Vec::with_capacity(17 + plain.len());
    buf.extend_from_slice(&batch.session.to_le_bytes());
    buf.extend_from_slice(&batch.answers.to_le_bytes());
    if worth_compressing(&batch.frames) {
        let packed = lz4_flex::block::compress(&plain);
        if packed.len() < plain.len() && packed.len() * MAX_INFLATION >= plain.len() {
            buf.push(LZ4);
            buf.extend_from_slice(&(plain.len() as u32).to_le_bytes());
            buf.extend_from_slice(&(packed.len() as u32).to_le_bytes());
            buf.extend_from_slice(&packed);
            return buf;
        }
    }
    buf.push(PLAIN);
    buf.extend_from_slice(&plain);
    buf
}

/// A batch as [`PLAIN_SYNC_PROTOCOL`] carries it.
fn plain_batch(batch: &Batch) -> Vec<u8> {
    let mut buf = Vec::with_capacity(16);
    buf.extend_from_slice(&batch.session.to_le_bytes());
    buf.extend_from_slice(&batch.answers.to_le_bytes());
    buf.extend(frames_bytes(&batch.frames));
    buf
}

/// Counts what passes through a reader.
struct Counted<'a, T> {
    io: &'a mut T,
    count: usize,
}

impl<T: AsyncRead + Unpin> AsyncRead for Counted<'_, T> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut [u8],
    ) -> std::task::Poll<io::Result<usize>> {
        let this = &mut *self;
        let polled = std::pin::Pin::new(&mut *this.io).poll_read(cx, buf);
        if let std::task::Poll::Ready(Ok(n)) = &polled {
            this.count += n;
        }
        polled
    }
}

impl Codec for FrameCodec {
    type Protocol = StreamProtocol;
    type Request = Batch;
    type Response = ();

    async fn read_request<T>(&mut self, protocol: &StreamProtocol, io: &mut T) -> io::Result<Batch>
    where
        T: AsyncRead + Unpin + Send,
    {
        let mut counted = Counted { io, count: 0 };
        let batch = if *protocol == PLAIN_SYNC_PROTOCOL {
            read_batch(&mut counted, self.limit).await
        } else {
            read_packed_batch(&mut counted, self.limit).await
        };
        self.wire.add_received(counted.count);
        batch
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<()>
    where
        T: AsyncRead + Unpin + Send,
    {
        let mut ack = [0u8; 1];
        io.read_exact(&mut ack).await?;
        self.wire.add_received(1);
        Ok(())
    }

    async fn write_request<T>(
        &mut self,
        protocol: &StreamProtocol,
        io: &mut T,
        batch: Batch,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        let buf = if *protocol == PLAIN_SYNC_PROTOCOL {
            plain_batch(&batch)
        } else {
            packed_batch(&batch)
        };
        io.write_all(&buf).await?;
        self.wire.add_sent(buf.len());
        io.close().await
    }

    async fn write_response<T>(&mut self, _: &StreamProtocol, io: &mut T, (): ()) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        io.write_all(&[1]).await?;
        self.wire.add_sent(1);
        io.close().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch_of(frame_len: usize) -> Vec<u8> {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&1u64.to_le_bytes());
        bytes.extend_from_slice(&0u64.to_le_bytes());
        bytes.extend_from_slice(&1u32.to_le_bytes());
        bytes.extend_from_slice(&(frame_len as u32).to_le_bytes());
        bytes.extend(std::iter::repeat_n(7u8, frame_len));
        bytes
    }

    #[test]
    fn a_frame_over_the_configured_limit_is_refused() {
        let small = FrameLimit::new(FrameLimit::MIN).unwrap();
        let read = |bytes: Vec<u8>, limit| {
            futures::executor::block_on(read_batch(&mut futures::io::Cursor::new(bytes), limit))
        };
        let at = read(batch_of(small.bytes()), small).unwrap();
        assert_eq!(at.frames[0].len(), small.bytes());
        let over = read(batch_of(small.bytes() + 1), small).unwrap_err();
        assert_eq!(over.kind(), io::ErrorKind::InvalidData);
        // The default limit takes it.
        assert!(read(batch_of(small.bytes() + 1), FrameLimit::default()).is_ok());
    }

    fn read_packed(bytes: &[u8], limit: FrameLimit) -> io::Result<Batch> {
        futures::executor::block_on(read_packed_batch(
            &mut futures::io::Cursor::new(bytes),
            limit,
        ))
    }

    /// A compressed batch: tags, the encoding byte, the size it names, the
    /// block's length, then `body` compressed as it is (whatever it holds).
    fn compressed_batch(size: usize, body: &[u8]) -> Vec<u8> {
        let packed = lz4_flex::block::compress(body);
        let mut bytes = vec![0u8; 16];
        bytes.push(LZ4);
        bytes.extend_from_slice(&(size as u32).to_le_bytes());
        bytes.extend_from_slice(&(packed.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&packed);
        bytes
    }

    /// `n` pseudo-random bytes, then the same again: shrinks about twice.
    fn twice_random(n: usize) -> Vec<u8> {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let once: Vec<u8> = (0..n)
            .map(|_| {
                x = x
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                (x >> 56) as u8
            })
            .collect();
        once.repeat(2)
    }

    fn events_changes(n: usize) -> Vec<Vec<u8>> {
        use rally_core::protocol::{Message, WireChange};
        use rally_core::{Document, EventDetails, Persona};
        let alice = Persona::generate();
        let bea = Persona::generate();
        let now = rally_store::Timestamp::from_second(1_900_000_000).unwrap();
        (0..n)
            .map(|i| {
                let mut d = EventDetails::new(
                    format!("Assembly {i}"),
                    "2055-05-01T10:00".parse().unwrap(),
                    "Europe/Paris",
                );
                let (mut doc, _) = Document::create_event(&alice, "Alice", &d, None, now).unwrap();
                d.description = format!("Meet at the square, gate {i}.");
                doc.update_event(&alice, &d, now).unwrap();
                doc.comment(&bea, "Bea", &format!("Coming, {i}"), None, now)
                    .unwrap();
                Message::Changes {
                    doc: doc.id().0,
                    changes: doc
                        .signed_changes()
                        .iter()
                        .map(WireChange::from_signed)
                        .collect(),
                    last: true,
                }
                .encode()
            })
            .collect()
    }

    #[test]
    fn a_batch_of_many_documents_is_compressed_whole_and_reads_back() {
        let batch = Batch {
            session: 3,
            answers: 2,
            frames: events_changes(60),
        };
        let plain = plain_batch(&batch);
        let packed = packed_batch(&batch);
        assert_eq!(packed[16], LZ4);
        // The documents' lists compressed one by one.
        let one_by_one: usize = batch
            .frames
            .iter()
            .map(|f| lz4_flex::block::compress(f).len() + 4)
            .sum();
        eprintln!(
            "60 events: plain {} bytes, each compressed {one_by_one}, the batch compressed {}",
            plain.len(),
            packed.len()
        );
        assert!(packed.len() * 10 < one_by_one * 8, "{}", packed.len());
        assert_eq!(read_packed(&packed, FrameLimit::default()).unwrap(), batch);
        // The plain protocol carries the same batch, and reads it back.
        let read = futures::executor::block_on(read_batch(
            &mut futures::io::Cursor::new(plain),
            FrameLimit::default(),
        ))
        .unwrap();
        assert_eq!(read, batch);
    }

    #[test]
    fn small_batches_and_ones_that_would_inflate_too_far_go_plain() {
        let small = Batch {
            session: 1,
            answers: 0,
            frames: vec![vec![4; 100]],
        };
        let packed = packed_batch(&small);
        assert_eq!(packed[16], PLAIN);
        assert_eq!(read_packed(&packed, FrameLimit::default()).unwrap(), small);
        // Mostly announcements (hashes): plain, though changes ride along.
        let heads = Message::Heads {
            docs: (0..1500u32)
                .map(|i| rally_core::protocol::DocHeads {
                    doc: [(i % 251) as u8; 32],
                    heads: vec![[(i % 13) as u8; 32]],
                })
                .collect(),
            ack: false,
            seq: 1,
        }
        .encode();
        let mut frames = events_changes(30);
        let changes: usize = frames.iter().map(Vec::len).sum();
        assert!(
            changes >= COMPRESS_FROM && changes < heads.len(),
            "{changes}"
        );
        frames.push(heads);
        let announcing = Batch {
            session: 1,
            answers: 0,
            frames,
        };
        let packed = packed_batch(&announcing);
        assert_eq!(packed[16], PLAIN);
        assert_eq!(
            read_packed(&packed, FrameLimit::default()).unwrap(),
            announcing
        );
        // A megabyte of one byte would inflate past what a reader takes: sent plain.
        let mut frame = vec![0; 1 << 20];
        frame[0] = 4;
        let repetitive = Batch {
            session: 1,
            answers: 0,
            frames: vec![frame],
        };
        let packed = packed_batch(&repetitive);
        assert_eq!(packed[16], PLAIN);
        assert_eq!(
            read_packed(&packed, FrameLimit::default()).unwrap(),
            repetitive
        );
    }

    #[test]
    fn hostile_compressed_batches_are_refused_within_bounds() {
        let limit = FrameLimit::default();
        let refused = |bytes: &[u8], why: &str| {
            let e = read_packed(bytes, limit).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{why}: {e}");
        };
        // A frame count and length, then 1 MiB of zeros.
        let mut zeros = 1u32.to_le_bytes().to_vec();
        zeros.extend(&(1u32 << 20).to_le_bytes());
        zeros.resize(8 + (1 << 20), 0);
        let block = lz4_flex::block::compress(&zeros);
        assert!(block.len() * MAX_INFLATION < zeros.len());
        // Naming its true size: past the ratio, refused before it is read.
        refused(&compressed_batch(zeros.len(), &zeros), "past the ratio");
        // A well-formed batch shrinking more than 8 times (within the 32 times
        // the first version took): past the ratio.
        let mut body = 1u32.to_le_bytes().to_vec();
        let frame = twice_random(50).repeat(12);
        body.extend(&(frame.len() as u32).to_le_bytes());
        body.extend(&frame);
        let block = lz4_flex::block::compress(&body);
        assert!(block.len() * 8 < body.len() && block.len() * 32 >= body.len());
        refused(
            &compressed_batch(body.len(), &body),
            "a batch past the ratio",
        );
        // Naming a size within the ratio: the block holds more than that.
        refused(
            &compressed_batch(block.len() * MAX_INFLATION, &zeros),
            "a size the block does not hold",
        );
        // A block no smaller than the size it names: the writer never sends one.
        let mut body = 1u32.to_le_bytes().to_vec();
        body.extend(&3u32.to_le_bytes());
        body.extend(b"abc");
        refused(
            &compressed_batch(body.len(), &body),
            "a block that does not shrink",
        );
        // A size past the batch limit, whatever the block.
        refused(&compressed_batch(64 << 20, &zeros), "past the limit");
        // A block length past the bound, refused before it is read.
        let mut bytes = vec![0u8; 16];
        bytes.push(LZ4);
        bytes.extend_from_slice(&8u32.to_le_bytes());
        bytes.extend_from_slice(&u32::MAX.to_le_bytes());
        refused(&bytes, "an oversize length");
        // Not LZ4 at all.
        let mut bytes = vec![0u8; 16];
        bytes.push(LZ4);
        bytes.extend_from_slice(&16u32.to_le_bytes());
        bytes.extend_from_slice(&8u32.to_le_bytes());
        bytes.extend_from_slice(&[0xff; 8]);
        refused(&bytes, "not LZ4");
        // Bytes after the frames.
        let mut body = 1u32.to_le_bytes().to_vec();
        body.extend(&3u32.to_le_bytes());
        body.extend(b"abc");
        body.extend(twice_random(200));
        refused(&compressed_batch(body.len(), &body), "trailing bytes");
        // A block that ends before the stream says it does.
        let body = twice_random(4000);
        let mut bytes = compressed_batch(body.len(), &body);
        bytes.truncate(bytes.len() - 10);
        let e = read_packed(&bytes, limit).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof, "{e}");
        // A frame over the limit, inside a compressed batch.
        let small = FrameLimit::new(FrameLimit::MIN).unwrap();
        let mut body = 1u32.to_le_bytes().to_vec();
        body.extend(&((small.bytes() + 1) as u32).to_le_bytes());
        body.extend((0..=small.bytes()).map(|i| (i * 7 % 251) as u8));
        let e = read_packed(&compressed_batch(body.len(), &body), small).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        // A real batch read back after all of that.
        let batch = Batch {
            session: 1,
            answers: 0,
            frames: events_changes(40),
        };
        assert_eq!(read_packed(&packed_batch(&batch), limit).unwrap(), batch);
        // An encoding this side does not know.
        let mut bytes = vec![0u8; 16];
        bytes.push(9);
        refused(&bytes, "an unknown encoding");
    }
}
