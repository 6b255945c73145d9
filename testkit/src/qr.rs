//! QR codes read back from PNG images with a decoder independent of the one that drew
//! them (`rqrr`), so a test compares what a phone's camera would read.

/// What a QR image holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedQr {
    /// Image width in pixels.
    pub width: u32,
    pub height: u32,
    /// The text of the one QR code found.
    pub text: String,
}

/// Why an image is no readable QR code.
#[derive(Debug, thiserror::Error)]
pub enum QrReadError {
    #[error("not a PNG: {0}")]
    Png(#[from] png::DecodingError),
    #[error("a PNG of {0:?} pixels, expected 8-bit grey")]
    Format((png::ColorType, png::BitDepth)),
    #[error("{0} QR codes found, expected one")]
    Count(usize),
    #[error("the QR code does not decode: {0}")]
    Decode(#[from] rqrr::DeQRError),
}

/// The text of the single QR code in an 8-bit greyscale PNG.
pub fn decode_png(bytes: &[u8]) -> Result<DecodedQr, QrReadError> {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info()?;
    let mut pixels = vec![0; reader.output_buffer_size().unwrap_or(0)];
    let frame = reader.next_frame(&mut pixels)?;
    if (frame.color_type, frame.bit_depth) != (png::ColorType::Grayscale, png::BitDepth::Eight) {
        return Err(QrReadError::Format((frame.color_type, frame.bit_depth)));
    }
    let (width, height) = (frame.width, frame.height);
    let row = frame.line_size;
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(width as usize, height as usize, |x, y| {
            pixels[y * row + x]
        });
    let grids = image.detect_grids();
    let [grid] = grids.as_slice() else {
        return Err(QrReadError::Count(grids.len()));
    };
    let (_, text) = grid.decode()?;
    Ok(DecodedQr {
        width,
        height,
        text,
    })
}
