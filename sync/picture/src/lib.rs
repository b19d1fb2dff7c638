//! Pictures in, cleaned (issue: pictures are the riskiest thing a protester
//! shares — a phone photo carries GPS coordinates, the camera's serial number and
//! the time).
//!
//! [`clean`] is the only way a picture enters Rally: the bytes are decoded
//! (JPEG, PNG, WebP or GIF, told by their content, never by a name or a claimed
//! type) within bounds on input size, dimensions and memory; turned upright by
//! their orientation tag; flattened onto white; resized to the two sizes Rally
//! keeps ([`Size`]); and encoded afresh as baseline JPEG. Nothing of the input's
//! metadata survives, because nothing of it is copied: the encoder writes pixels
//! and a JFIF header only (no EXIF, GPS, XMP, ICC profile or embedded
//! thumbnail). Each size is at most [`MAX_BLOB`] bytes (quality, then
//! dimensions, step down until it fits), so it travels in one sync frame.
//!
//! The store keeps the sizes as content-addressed blobs ([`hash`]: SHA-256),
//! the documents refer to them (`rally_core::model::Picture`), and the sync
//! protocol fetches them on demand.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};
use sha2::{Digest, Sha256};

/// The largest file taken in.
pub const MAX_INPUT: usize = 10 * 1024 * 1024;
/// The most pixels a picture taken in may have (a 50-megapixel camera's).
pub const MAX_PIXELS: u64 = 50_000_000;
/// The longest side a picture taken in may have.
pub const MAX_SIDE: u32 = 16_384;
/// The most memory the decoder may allocate.
const MAX_ALLOC: u64 = 512 * 1024 * 1024;
/// The largest blob stored for one size (a members-only group's pictures
/// travel in its log, one envelope each: under its 256 KiB with room to spare).
pub const MAX_BLOB: usize = 240 * 1024;
/// What every cleaned picture is.
pub const MEDIA_TYPE: &str = "image/jpeg";

const QUALITIES: [u8; 4] = [82, 72, 62, 52];

/// The sizes Rally keeps of a picture: its longest side at most this many pixels
/// (never enlarged).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// List cards and avatars.
    Card,
    /// An event's or group's page, and what the Fediverse is given.
    Page,
}

impl Size {
    pub fn longest_side(self) -> u32 {
        match self {
            Size::Card => 480,
            Size::Page => 1_280,
        }
    }
}

/// One size of a cleaned picture.
#[derive(Clone, PartialEq, Eq)]
pub struct Variant {
    pub bytes: Vec<u8>,
    pub hash: [u8; 32],
    pub width: u32,
    pub height: u32,
}

impl std::fmt::Debug for Variant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Variant({}x{}, {} bytes, {})",
            self.width,
            self.height,
            self.bytes.len(),
            hex(&self.hash)
        )
    }
}

/// A picture as Rally keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cleaned {
    pub card: Variant,
    pub page: Variant,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PictureError {
    #[error("the file is {0} bytes; a picture may be at most {MAX_INPUT}")]
    TooLarge(usize),
    #[error("this is not a picture Rally can read (JPEG, PNG, WebP or GIF)")]
    NotAPicture,
    #[error(
        "the picture is larger than Rally takes: at most {MAX_PIXELS} pixels and {MAX_SIDE} on a side"
    )]
    TooManyPixels,
    #[error("the picture cannot be read: {0}")]
    Undecodable(String),
}

/// SHA-256 of a blob: its address.
pub fn hash(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Decodes `input` within bounds and returns it cleaned, in both sizes.
pub fn clean(input: &[u8]) -> Result<Cleaned, PictureError> {
    let upright = decode(input)?;
    let page = fit(&upright, Size::Page);
    let card = fit(&page, Size::Card);
    Ok(Cleaned {
        card: encode(card)?,
        page: encode(page)?,
    })
}

/// The picture's pixels, upright and flattened onto white.
fn decode(input: &[u8]) -> Result<RgbImage, PictureError> {
    if input.len() > MAX_INPUT {
        return Err(PictureError::TooLarge(input.len()));
    }
    let mut reader = ImageReader::new(Cursor::new(input))
        .with_guessed_format()
        .map_err(|e| PictureError::Undecodable(e.to_string()))?;
    match reader.format() {
        Some(ImageFormat::Jpeg) if !jpeg_is_whole(input) => {
            // The JPEG decoder fills what is missing with grey rather than fail.
            return Err(PictureError::Undecodable(
                "the file stops before the picture's end (was it cut short?)".to_owned(),
            ));
        }
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP | ImageFormat::Gif) => {}
        _ => return Err(PictureError::NotAPicture),
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let undecodable = |e: image::ImageError| match e {
        image::ImageError::Limits(_) => PictureError::TooManyPixels,
        e => PictureError::Undecodable(e.to_string()),
    };
    let mut decoder = reader.into_decoder().map_err(undecodable)?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS || width > MAX_SIDE || height > MAX_SIDE {
        return Err(PictureError::TooManyPixels);
    }
    if width == 0 || height == 0 {
        return Err(PictureError::Undecodable("it has no pixels".to_owned()));
    }
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(undecodable)?;
    image.apply_orientation(orientation);
    Ok(flatten(image))
}

/// Whether a JPEG's last scan is followed by its end marker. Inside a scan a
/// 0xFF byte is always followed by 0x00 or a restart marker, so the last
/// start-of-scan marker in the file begins the last scan (an embedded thumbnail
/// comes before the picture's own scans), and the end-of-image marker after it
/// is the picture's end; bytes after that (some cameras append data) are fine.
fn jpeg_is_whole(bytes: &[u8]) -> bool {
    let marker = |m: u8| move |w: &[u8]| w == [0xFF, m];
    match bytes.windows(2).rposition(marker(0xDA)) {
        Some(sos) => bytes[sos..].windows(2).any(marker(0xD9)),
        None => false,
    }
}

/// Transparent pixels onto white (JPEG has no alpha).
fn flatten(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    let (w, h) = rgba.dimensions();
    RgbImage::from_fn(w, h, |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let over = |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
        image::Rgb([over(r), over(g), over(b)])
    })
}

/// `image` scaled down so its longest side is at most the size's.
fn fit(image: &RgbImage, size: Size) -> RgbImage {
    scale_to(image, size.longest_side())
}

fn scale_to(image: &RgbImage, side: u32) -> RgbImage {
    let (w, h) = image.dimensions();
    if w.max(h) <= side {
        return image.clone();
    }
    // The other side in proportion, rounded to the nearest pixel.
    let other = |short: u32, long: u32| {
        ((u64::from(short) * u64::from(side) + u64::from(long) / 2) / u64::from(long)).max(1) as u32
    };
    let (nw, nh) = if w >= h {
        (side, other(h, w))
    } else {
        (other(w, h), side)
    };
    image::imageops::resize(image, nw, nh, FilterType::CatmullRom)
}

/// Baseline JPEG of at most [`MAX_BLOB`] bytes: lower qualities first, then
/// smaller dimensions.
fn encode(mut image: RgbImage) -> Result<Variant, PictureError> {
    loop {
        for quality in QUALITIES {
            let mut bytes = Vec::new();
            JpegEncoder::new_with_quality(&mut bytes, quality)
                .encode_image(&image)
                .map_err(|e| PictureError::Undecodable(e.to_string()))?;
            if bytes.len() <= MAX_BLOB {
                let (width, height) = image.dimensions();
                return Ok(Variant {
                    hash: hash(&bytes),
                    bytes,
                    width,
                    height,
                });
            }
        }
        let side = image.width().max(image.height()) * 3 / 4;
        image = scale_to(&image, side.max(1));
    }
}

/// The dimensions of a stored blob, if it is a JPEG Rally could have made (a
/// blob that arrives from a peer is checked by its hash; this tells a caller what
/// it holds).
pub fn dimensions(blob: &[u8]) -> Option<(u32, u32)> {
    if blob.len() > MAX_BLOB {
        return None;
    }
    let reader = ImageReader::with_format(Cursor::new(blob), ImageFormat::Jpeg);
    reader.into_dimensions().ok()
}

#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
#[cfg(test)]
mod tests;
