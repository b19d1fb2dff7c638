use std::io::Cursor;

use exif::{In, Tag};
use image::{Rgb, RgbImage};

use super::fixtures::{phone_photo, png_claiming};
use super::*;

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
    // Cut inside the pixels: the decoder would fill the rest with grey.
    assert!(matches!(
        clean(&photo[..photo.len() / 2]),
        Err(PictureError::Undecodable(_))
    ));
    // Bytes after the end (some cameras append data) are not a cut.
    let mut appended = photo.clone();
    appended.extend(b"trailing camera data");
    assert!(clean(&appended).is_ok());
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
