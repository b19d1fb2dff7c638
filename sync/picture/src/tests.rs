use std::io::Cursor;

use exif::experimental::Writer;
use exif::{Field, In, Rational, Tag, Value};
use image::{Rgb, RgbImage};

use super::*;

/// A 640×320 JPEG, left half red and right half blue, as a phone stores a photo
/// taken upright in portrait: the pixels sideways and the tag "turn 90° clockwise"
/// (6), with GPS coordinates, the camera's serial number, the time and an XMP
/// packet naming the photographer.
fn phone_photo() -> Vec<u8> {
    let sideways = RgbImage::from_fn(640, 320, |x, _| {
        if x < 320 {
            Rgb([220, 20, 20])
        } else {
            Rgb([20, 20, 220])
        }
    });
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&sideways)
        .unwrap();
    let fields = [
        Field {
            tag: Tag::Orientation,
            ifd_num: In::PRIMARY,
            value: Value::Short(vec![6]),
        },
        Field {
            tag: Tag::BodySerialNumber,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![b"SN-4417-CAMERA".to_vec()]),
        },
        Field {
            tag: Tag::DateTimeOriginal,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![b"2026:05:01 14:03:00".to_vec()]),
        },
        Field {
            tag: Tag::GPSLatitudeRef,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![b"N".to_vec()]),
        },
        Field {
            tag: Tag::GPSLatitude,
            ifd_num: In::PRIMARY,
            value: Value::Rational(vec![
                Rational { num: 48, denom: 1 },
                Rational { num: 51, denom: 1 },
                Rational {
                    num: 2_400,
                    denom: 100,
                },
            ]),
        },
        Field {
            tag: Tag::GPSLongitudeRef,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![b"E".to_vec()]),
        },
        Field {
            tag: Tag::GPSLongitude,
            ifd_num: In::PRIMARY,
            value: Value::Rational(vec![
                Rational { num: 2, denom: 1 },
                Rational { num: 21, denom: 1 },
                Rational {
                    num: 300,
                    denom: 100,
                },
            ]),
        },
    ];
    let mut writer = Writer::new();
    for f in &fields {
        writer.push_field(f);
    }
    let mut tiff = Cursor::new(Vec::new());
    writer.write(&mut tiff, false).unwrap();
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(tiff.into_inner());
    let xmp = b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x='adobe:ns:meta/'><dc:creator>Photographer Name</dc:creator></x:xmpmeta>";
    let mut out = jpeg[..2].to_vec();
    for segment in [&app1[..], &xmp[..]] {
        out.extend([0xFF, 0xE1]);
        out.extend(((segment.len() + 2) as u16).to_be_bytes());
        out.extend(segment);
    }
    out.extend(&jpeg[2..]);
    out
}

fn exif_of(bytes: &[u8]) -> Option<exif::Exif> {
    exif::Reader::new()
        .read_from_container(&mut Cursor::new(bytes))
        .ok()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn the_fixture_carries_what_a_phone_photo_carries() {
    let photo = phone_photo();
    let exif = exif_of(&photo).expect("EXIF in the fixture");
    assert!(exif.get_field(Tag::GPSLatitude, In::PRIMARY).is_some());
    assert!(exif.get_field(Tag::BodySerialNumber, In::PRIMARY).is_some());
    assert_eq!(
        exif.get_field(Tag::Orientation, In::PRIMARY)
            .and_then(|f| f.value.get_uint(0)),
        Some(6)
    );
    assert!(contains(&photo, b"SN-4417-CAMERA"));
    assert!(contains(&photo, b"Photographer Name"));
}

#[test]
fn a_phone_photo_comes_out_upright_with_no_metadata() {
    let cleaned = clean(&phone_photo()).unwrap();
    for (v, size) in [(&cleaned.card, (240, 480)), (&cleaned.page, (320, 640))] {
        assert!(exif_of(&v.bytes).is_none(), "EXIF left in {v:?}");
        for secret in [
            &b"SN-4417-CAMERA"[..],
            b"2026:05:01",
            b"Photographer Name",
            b"Exif",
            b"xmpmeta",
            b"ICC_PROFILE",
        ] {
            assert!(!contains(&v.bytes, secret), "{secret:?} left in {v:?}");
        }
        assert_eq!(v.hash, hash(&v.bytes));
        assert!(v.bytes.len() <= MAX_BLOB);
        // Upright: portrait, red on top (the sensor's left), blue below.
        assert_eq!((v.width, v.height), size);
        let decoded = image::load_from_memory(&v.bytes).unwrap().into_rgb8();
        assert_eq!(decoded.dimensions(), size);
        let top = decoded.get_pixel(size.0 / 2, size.1 / 8).0;
        let bottom = decoded.get_pixel(size.0 / 2, size.1 * 7 / 8).0;
        assert!(top[0] > 150 && top[2] < 100, "top {top:?}");
        assert!(bottom[2] > 150 && bottom[0] < 100, "bottom {bottom:?}");
        assert_eq!(dimensions(&v.bytes), Some(size));
    }
}

#[test]
fn big_pictures_are_scaled_to_each_size_and_small_ones_are_not_enlarged() {
    let big = RgbImage::from_fn(3_000, 2_000, |x, y| {
        Rgb([(x / 12) as u8, (y / 8) as u8, ((x + y) / 20) as u8])
    });
    let mut png = Vec::new();
    big.write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .unwrap();
    let cleaned = clean(&png).unwrap();
    assert_eq!((cleaned.page.width, cleaned.page.height), (1_280, 853));
    assert_eq!((cleaned.card.width, cleaned.card.height), (480, 320));
    assert!(cleaned.page.bytes.len() <= MAX_BLOB);

    let small = RgbImage::from_pixel(200, 100, Rgb([1, 2, 3]));
    let mut png = Vec::new();
    small
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .unwrap();
    let cleaned = clean(&png).unwrap();
    assert_eq!((cleaned.page.width, cleaned.page.height), (200, 100));
    assert_eq!(cleaned.card, cleaned.page);
}

#[test]
fn transparency_is_flattened_onto_white() {
    let clear = image::RgbaImage::from_pixel(50, 50, image::Rgba([0, 0, 0, 0]));
    let mut png = Vec::new();
    clear
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .unwrap();
    let cleaned = clean(&png).unwrap();
    let px = image::load_from_memory(&cleaned.card.bytes)
        .unwrap()
        .into_rgb8()
        .get_pixel(25, 25)
        .0;
    assert!(px.iter().all(|&c| c > 245), "{px:?}");
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend((data.len() as u32).to_be_bytes());
    let mut body = kind.to_vec();
    body.extend(data);
    out.extend(&body);
    out.extend(crc32(&body).to_be_bytes());
}

/// A PNG of a few hundred bytes that claims `width`×`height` pixels.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    // A zlib stream of a few zero bytes, then nothing.
    png_chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01],
    );
    png_chunk(&mut out, b"IEND", &[]);
    out
}

#[test]
fn a_decompression_bomb_is_refused_before_its_pixels_are_allocated() {
    let bomb = png_claiming(60_000, 60_000);
    assert!(bomb.len() < 200);
    assert_eq!(clean(&bomb), Err(PictureError::TooManyPixels));
    // Under the side limit but over the pixel count.
    assert_eq!(
        clean(&png_claiming(16_000, 16_000)),
        Err(PictureError::TooManyPixels)
    );
}

#[test]
fn truncated_lying_and_oversized_files_are_refused() {
    let photo = phone_photo();
    // Cut inside the headers.
    assert!(matches!(
        clean(&photo[..300]),
        Err(PictureError::Undecodable(_))
    ));
    // A PNG whose pixel data stops early (claims 400×400, holds a few bytes).
    assert!(matches!(
        clean(&png_claiming(400, 400)),
        Err(PictureError::Undecodable(_))
    ));
    // A web page named banner.jpg; a JPEG's first bytes and then noise.
    assert_eq!(
        clean(b"<html><body>not a picture</body></html>"),
        Err(PictureError::NotAPicture)
    );
    let mut lying = vec![0xFF, 0xD8, 0xFF, 0xE0];
    lying.extend(std::iter::repeat_n(0x42, 4_000));
    assert!(matches!(clean(&lying), Err(PictureError::Undecodable(_))));
    assert_eq!(clean(&[]), Err(PictureError::NotAPicture));
    let huge = vec![0u8; MAX_INPUT + 1];
    assert_eq!(clean(&huge), Err(PictureError::TooLarge(MAX_INPUT + 1)));
}
