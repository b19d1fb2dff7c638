//! Frames on the wire: a request carries a batch of sync frames, each prefixed by
//! its length, after the tag of the sender's session and the tag of the receiver's
//! session it answers (0 for none yet); the response is one byte, an
//! acknowledgement. Lengths are checked against the limits before anything is
//! allocated.

use std::io;

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::StreamProtocol;
use libp2p::request_response::Codec;
use rally_core::protocol::FrameLimit;

/// The most frames one batch carries.
const MAX_FRAMES: u32 = 100_000;

/// Reads and writes batches; refuses a frame over its limit.
#[derive(Debug, Clone, Copy, Default)]
pub struct FrameCodec {
    pub limit: FrameLimit,
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

/// Reads one batch as a peer sent it: bounded in frames, in each frame's size
/// (`limit`) and in total (twice that), whatever the bytes say.
pub async fn read_batch<T: AsyncRead + Unpin>(io: &mut T, limit: FrameLimit) -> io::Result<Batch> {
    let mut tag = [0u8; 8];
    io.read_exact(&mut tag).await?;
    let mut answers = [0u8; 8];
    io.read_exact(&mut answers).await?;
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
    Ok(Batch {
        session: u64::from_le_bytes(tag),
        answers: u64::from_le_bytes(answers),
        frames,
    })
}

impl Codec for FrameCodec {
    type Protocol = StreamProtocol;
    type Request = Batch;
    type Response = ();

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Batch>
    where
        T: AsyncRead + Unpin + Send,
    {
        read_batch(io, self.limit).await
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<()>
    where
        T: AsyncRead + Unpin + Send,
    {
        let mut ack = [0u8; 1];
        io.read_exact(&mut ack).await?;
        Ok(())
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        Batch {
            session,
            answers,
            frames,
        }: Batch,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        let mut buf = Vec::with_capacity(20 + frames.iter().map(|f| f.len() + 4).sum::<usize>());
        buf.extend_from_slice(&session.to_le_bytes());
        buf.extend_from_slice(&answers.to_le_bytes());
        buf.extend_from_slice(&(frames.len() as u32).to_le_bytes());
        for f in &frames {
            buf.extend_from_slice(&(f.len() as u32).to_le_bytes());
            buf.extend_from_slice(f);
        }
        io.write_all(&buf).await?;
        io.close().await
    }

    async fn write_response<T>(&mut self, _: &StreamProtocol, io: &mut T, (): ()) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        io.write_all(&[1]).await?;
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
}
