//! The colour bar: a panel on the right of the picture with the field's name and unit, the colour map
//! from the top (maximum) to the bottom (minimum), ticks at round numbers and their labels.
//!
//! The panel is drawn on the CPU by [`plotters`] with the embedded font of [`crate::plot`] into an RGBA
//! image, which the renderer uploads as a texture and copies onto the target texel for pixel. So text
//! looks the same in offscreen images and in a window, needs no font rendering on the GPU, and is redrawn
//! only when the range, map, title or size change.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::RenderError;
use super::colour::{ColourMap, tick_label, ticks};
use crate::plot::PixelRect;

/// What the colour bar shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ColourBar {
    pub map: ColourMap,
    /// The values at the bottom and the top of the bar.
    pub range: (f64, f64),
    /// First line: the quantity (`von Mises stress`).
    pub label: String,
    /// Second line, in parentheses: the unit (`kPa`); empty for none.
    pub unit: String,
}

/// Where the panel and the bar lie in a target of a given size, pixels (y downwards, ends exclusive).
#[derive(Debug, Clone, PartialEq)]
pub struct ColourBarLayout {
    /// The whole panel: the right-hand strip of the target, full height.
    pub panel: PixelRect,
    /// The coloured bar inside it (its black frame lies just outside).
    pub bar: PixelRect,
    /// Text height, pixels.
    pub font_px: f64,
}

/// Smallest target the renderer accepts with a colour bar (width, height).
pub const MIN_SIZE: (u32, u32) = (160, 120);

/// The layout for a target of `size` (width, height): it depends on the size only.
pub fn layout((w, h): (u32, u32)) -> ColourBarLayout {
    let (wf, hf) = (f64::from(w), f64::from(h));
    let font = (hf / 30.0).clamp(11.0, 30.0);
    // At least 100 px (labels and title need it), at most 45 % of the width; never a panic on tiny sizes
    // (the renderer refuses targets below MIN_SIZE).
    let panel_w = (0.18 * wf)
        .max(7.5 * font)
        .max(100.0)
        .min(0.45 * wf)
        .round()
        .max(0.0) as u32;
    let panel_w = panel_w.min(w);
    let x0 = w - panel_w;
    let top = (0.06 * hf).round() as u32;
    let bar_x0 = x0 + (0.1 * f64::from(panel_w)).round() as u32;
    let bar_w = (0.9 * font).max(10.0).round() as u32;
    let bar_y0 = top + (3.2 * font).round() as u32;
    let bar_y1 = h
        .saturating_sub(top + (0.5 * font).round() as u32)
        .max(bar_y0 + 1);
    ColourBarLayout {
        panel: PixelRect { x: x0..w, y: 0..h },
        bar: PixelRect {
            x: bar_x0..bar_x0 + bar_w,
            y: bar_y0..bar_y1,
        },
        font_px: font,
    }
}

/// The pixel row of the bar where value `v` lies (clamped to the bar).
pub fn row_of(layout: &ColourBarLayout, range: (f64, f64), v: f64) -> u32 {
    let (y0, y1) = (layout.bar.y.start, layout.bar.y.end);
    let t = ((v - range.0) / (range.1 - range.0)).clamp(0.0, 1.0);
    let y = f64::from(y1 - y0) * (1.0 - t);
    (y0 + (y.floor() as u32).min(y1 - y0 - 1)).min(y1 - 1)
}

/// Draws the panel of `bar` for `layout`: an RGBA image of the panel's size, opaque, on `background`,
/// text and frame in `ink` (sRGB).
pub fn draw_panel(
    bar: &ColourBar,
    layout: &ColourBarLayout,
    background: [u8; 3],
    ink: [u8; 3],
) -> Result<image::RgbaImage, RenderError> {
    crate::plot::register_font().map_err(|e| RenderError::Draw(e.to_string()))?;
    let pw = layout.panel.x.end - layout.panel.x.start;
    let ph = layout.panel.y.end - layout.panel.y.start;
    let mut rgb = vec![0u8; pw as usize * ph as usize * 3];
    draw(&mut rgb, (pw, ph), bar, layout, background, ink)
        .map_err(|e| RenderError::Draw(format!("colour bar: {e}")))?;
    let rgba: Vec<u8> = rgb
        .chunks_exact(3)
        .flat_map(|p| [p[0], p[1], p[2], 255])
        .collect();
    image::RgbaImage::from_raw(pw, ph, rgba)
        .ok_or_else(|| RenderError::Draw("colour bar buffer size".into()))
}

fn draw(
    buffer: &mut [u8],
    size: (u32, u32),
    bar: &ColourBar,
    layout: &ColourBarLayout,
    background: [u8; 3],
    ink: [u8; 3],
) -> Result<(), Box<dyn std::error::Error>> {
    let root = BitMapBackend::with_buffer(buffer, size).into_drawing_area();
    let [br, bg, bb] = background;
    root.fill(&RGBColor(br, bg, bb))?;
    let ink_colour = RGBColor(ink[0], ink[1], ink[2]);
    let px0 = layout.panel.x.start as i32;
    let (x0, x1) = (
        layout.bar.x.start as i32 - px0,
        layout.bar.x.end as i32 - px0,
    );
    let (y0, y1) = (layout.bar.y.start as i32, layout.bar.y.end as i32);
    let font = layout.font_px;

    // Title: the quantity, then the unit, each shrunk to fit the panel.
    let room = f64::from(size.0) - f64::from(x0) - 0.05 * f64::from(size.0);
    let top = (0.06 * f64::from(size.1)).round() as i32;
    let lines: Vec<String> = if bar.unit.is_empty() {
        vec![bar.label.clone()]
    } else {
        vec![bar.label.clone(), format!("({})", bar.unit)]
    };
    for (i, line) in lines.iter().enumerate() {
        let mut px = font;
        let mut style = TextStyle::from((FontFamily::SansSerif, px).into_font());
        while px > 8.0 {
            let (w, _) = root.estimate_text_size(line, &style)?;
            if f64::from(w) <= room {
                break;
            }
            px -= 1.0;
            style = TextStyle::from((FontFamily::SansSerif, px).into_font());
        }
        let style = style
            .color(&ink_colour)
            .pos(Pos::new(HPos::Left, VPos::Top));
        root.draw_text(
            line,
            &style,
            (x0, top + (1.3 * font * i as f64).round() as i32),
        )?;
    }

    // The bar, one row at a time, top = maximum.
    let h = (y1 - y0).max(1);
    for y in y0..y1 {
        let t = 1.0 - (f64::from(y - y0) + 0.5) / f64::from(h);
        let [r, g, b] = bar.map.sample_u8(t);
        for x in x0..x1 {
            root.draw_pixel((x, y), &RGBColor(r, g, b))?;
        }
    }
    root.draw(&Rectangle::new(
        [(x0 - 1, y0 - 1), (x1, y1)],
        ink_colour.stroke_width(1),
    ))?;

    // Ticks and labels.
    let max_ticks = ((f64::from(h) / (1.8 * font)).floor() as usize).clamp(2, 8);
    let (values, decimals) = ticks(bar.range.0, bar.range.1, max_ticks);
    let tick_len = (0.35 * font).round() as i32;
    let label_style = TextStyle::from((FontFamily::SansSerif, font).into_font())
        .color(&ink_colour)
        .pos(Pos::new(HPos::Left, VPos::Center));
    for v in values {
        let y = row_of(layout, bar.range, v) as i32;
        root.draw(&PathElement::new(
            vec![(x1, y), (x1 + tick_len, y)],
            ink_colour.stroke_width(1),
        ))?;
        root.draw_text(
            &tick_label(v, decimals),
            &label_style,
            (x1 + tick_len + (0.25 * font).round() as i32, y),
        )?;
    }
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_fit_any_size_without_panicking() {
        for size in [
            (1, 1),
            (20, 20),
            (160, 120),
            (320, 240),
            (1280, 720),
            (7680, 4320),
        ] {
            let l = layout(size);
            assert!(
                l.panel.x.start <= l.panel.x.end && l.panel.x.end == size.0,
                "{size:?}"
            );
            assert!(l.bar.y.start < l.bar.y.end, "{size:?}");
            if size.0 >= MIN_SIZE.0 && size.1 >= MIN_SIZE.1 {
                assert!(l.bar.x.end < size.0 && l.bar.y.end < size.1, "{size:?}");
                assert!(l.bar.y.end - l.bar.y.start >= 40, "{size:?}");
            }
        }
    }

    #[test]
    fn rows_run_from_the_maximum_at_the_top() {
        let l = layout((320, 240));
        assert_eq!(row_of(&l, (0.0, 1.0), 1.0), l.bar.y.start);
        assert_eq!(row_of(&l, (0.0, 1.0), 0.0), l.bar.y.end - 1);
        assert_eq!(row_of(&l, (0.0, 1.0), 7.0), l.bar.y.start);
    }
}
