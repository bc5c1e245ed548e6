//! The PNG line charts of `cardiotwin::plot`, checked on the pixels: a synthetic pressure-volume loop
//! (baseline and a second, shifted loop) is rendered and the image inspected.

use cardiotwin::plot::{
    Chart, PixelRect, PlotError, Series, plot_area, render_png, render_rgb, series_colour,
};
use image::{Rgb, RgbImage};

const SIZE: (u32, u32) = (800, 600);

/// A closed, PV-loop-like curve: filling along the bottom, isovolumic contraction, ejection along the
/// top, isovolumic relaxation. Volumes mL, pressures mmHg.
fn pv_loop(v_min: f64, v_max: f64, p_max: f64) -> Vec<(f64, f64)> {
    let mut points = Vec::new();
    let n = 40;
    for i in 0..=n {
        // Filling: pressure rises slowly with volume.
        let t = f64::from(i) / f64::from(n);
        let v = v_min + t * (v_max - v_min);
        points.push((v, 5.0 + 5.0 * t * t));
    }
    for i in 0..=n {
        // Ejection: a dome from v_max back to v_min.
        let t = f64::from(i) / f64::from(n);
        let v = v_max - t * (v_max - v_min);
        points.push((
            v,
            0.8 * p_max + 0.2 * p_max * (std::f64::consts::PI * t).sin(),
        ));
    }
    points.push(points[0]);
    points
}

fn two_loops() -> Vec<Series> {
    vec![
        Series::new("baseline", pv_loop(50.0, 120.0, 120.0)),
        Series::new("reduced contractility", pv_loop(80.0, 150.0, 90.0)),
    ]
}

fn chart(series: &[Series]) -> Chart<'_> {
    Chart {
        title: "Left ventricle PV loop",
        x_label: "volume (mL)",
        y_label: "pressure (mmHg)",
        series,
        size: SIZE,
    }
}

fn is_white(p: &Rgb<u8>) -> bool {
    p.0 == [255, 255, 255]
}

/// A pixel much darker than the light grid lines: text or axes.
fn is_dark(p: &Rgb<u8>) -> bool {
    p.0.iter().all(|&c| c < 160)
}

fn pixels_of(image: &RgbImage, colour: (u8, u8, u8)) -> Vec<(u32, u32)> {
    let want = [colour.0, colour.1, colour.2];
    image
        .enumerate_pixels()
        .filter(|(_, _, p)| p.0 == want)
        .map(|(x, y, _)| (x, y))
        .collect()
}

fn count_dark(image: &RgbImage, xs: std::ops::Range<u32>, ys: std::ops::Range<u32>) -> usize {
    let mut n = 0;
    for y in ys {
        for x in xs.clone() {
            n += usize::from(is_dark(image.get_pixel(x, y)));
        }
    }
    n
}

#[test]
fn pv_loop_image_has_the_requested_size_and_a_white_background() {
    let series = two_loops();
    let image = render_rgb(&chart(&series)).unwrap();
    assert_eq!(image.dimensions(), SIZE);
    let white = image.pixels().filter(|p| is_white(p)).count();
    let fraction = white as f64 / f64::from(SIZE.0 * SIZE.1);
    assert!(
        fraction > 0.8,
        "only {:.1} % of the pixels are white",
        100.0 * fraction
    );
    // ... but not blank: lines and text are there too.
    assert!(
        fraction < 0.995,
        "{:.2} % white: nearly nothing was drawn",
        100.0 * fraction
    );
    // The corners are background.
    for (x, y) in [
        (0, 0),
        (SIZE.0 - 1, 0),
        (0, SIZE.1 - 1),
        (SIZE.0 - 1, SIZE.1 - 1),
    ] {
        assert!(
            is_white(image.get_pixel(x, y)),
            "corner ({x}, {y}) is {:?}",
            image.get_pixel(x, y)
        );
    }
}

#[test]
fn plot_area_is_bounded_by_the_axes() {
    let series = two_loops();
    let image = render_rgb(&chart(&series)).unwrap();
    let PixelRect { x, y } = plot_area(&chart(&series));
    assert!(
        x.start > 0 && x.end <= SIZE.0 && y.start > 0 && y.end <= SIZE.1,
        "{x:?} x {y:?}"
    );
    assert!(
        x.len() > SIZE.0 as usize / 2 && y.len() > SIZE.1 as usize / 2,
        "{x:?} x {y:?}"
    );
    // The y axis is a dark column just left of the plot area, the x axis a dark row just below it, each
    // over the whole side.
    let axis_x = x.start - 1;
    let left = count_dark(&image, axis_x..axis_x + 1, y.clone());
    assert_eq!(
        left,
        y.len(),
        "y axis at column {axis_x}: {left} of {} pixels dark",
        y.len()
    );
    let bottom = count_dark(&image, x.clone(), y.end..y.end + 1);
    assert_eq!(
        bottom,
        x.len(),
        "x axis at row {}: {bottom} of {} pixels dark",
        y.end,
        x.len()
    );
    // Inside the plot area, next to the axes, no such lines (the rectangle is not one pixel off).
    let inside_left = count_dark(&image, x.start..x.start + 1, y.clone());
    assert!(
        inside_left < y.len() / 10,
        "{inside_left} dark pixels right of the y axis"
    );
    let inside_bottom = count_dark(&image, x.clone(), y.end - 1..y.end);
    assert!(
        inside_bottom < x.len() / 10,
        "{inside_bottom} dark pixels above the x axis"
    );
}

#[test]
fn each_series_is_drawn_in_its_own_colour_inside_the_plot_area() {
    let series = two_loops();
    let image = render_rgb(&chart(&series)).unwrap();
    let area = plot_area(&chart(&series));
    assert_ne!(series_colour(0), series_colour(1));
    let mut mean_x = Vec::new();
    for i in 0..series.len() {
        let colour = series_colour(i);
        let pixels = pixels_of(&image, colour);
        // A loop spanning most of the plot with a 2 px line covers well over a thousand pixels.
        assert!(
            pixels.len() > 1000,
            "series {i}: only {} pixels of {colour:?}",
            pixels.len()
        );
        for &(px, py) in &pixels {
            assert!(
                area.x.contains(&px) && area.y.contains(&py),
                "series {i}: pixel ({px}, {py}) outside the plot area {area:?}"
            );
        }
        mean_x.push(pixels.iter().map(|&(px, _)| f64::from(px)).sum::<f64>() / pixels.len() as f64);
    }
    // The second loop lies at larger volumes: further right.
    assert!(
        mean_x[1] > mean_x[0] + 20.0,
        "mean x of the series' pixels: {mean_x:?}"
    );
}

#[test]
fn tick_labels_and_axis_descriptions_are_drawn_in_the_margins() {
    let series = two_loops();
    let image = render_rgb(&chart(&series)).unwrap();
    let PixelRect { x, y } = plot_area(&chart(&series));
    // Left margin, clear of the y axis line and its tick marks: y tick labels and the y description.
    let left = count_dark(&image, 0..x.start - 8, y.clone());
    assert!(left > 200, "only {left} dark pixels in the left margin");
    // Bottom margin, clear of the x axis and its tick marks: x tick labels and the x description.
    let bottom = count_dark(&image, x.clone(), y.end + 8..SIZE.1);
    assert!(
        bottom > 200,
        "only {bottom} dark pixels in the bottom margin"
    );
    // Title band above the plot area.
    let top = count_dark(&image, 0..SIZE.0, 0..y.start);
    assert!(top > 200, "only {top} dark pixels in the title band");
}

#[test]
fn tick_labels_are_there_without_a_description_too() {
    // Empty axis descriptions and title: what is left in the margins is the numbers alone.
    let series = two_loops();
    let chart = Chart {
        title: "",
        x_label: "",
        y_label: "",
        ..chart(&series)
    };
    let image = render_rgb(&chart).unwrap();
    let PixelRect { x, y } = plot_area(&chart);
    let left = count_dark(&image, 0..x.start - 8, y.clone());
    assert!(left > 100, "only {left} dark pixels of y tick labels");
    let bottom = count_dark(&image, x.clone(), y.end + 8..SIZE.1);
    assert!(bottom > 100, "only {bottom} dark pixels of x tick labels");
    assert_eq!(
        count_dark(&image, 0..SIZE.0, 0..y.start.saturating_sub(12)),
        0,
        "no title, yet dark pixels on top"
    );
}

#[test]
fn a_legend_is_drawn_for_two_series_only() {
    // The legend box sits in the upper right corner of the plot area, where neither loop goes.
    let series = two_loops();
    let PixelRect { x, y } = plot_area(&chart(&series));
    let corner = |image: &RgbImage| {
        count_dark(
            image,
            x.end - (x.end - x.start) / 4..x.end,
            y.start..y.start + (y.end - y.start) / 5,
        )
    };
    let two = render_rgb(&chart(&series)).unwrap();
    assert!(
        corner(&two) > 200,
        "two series: {} dark pixels where the legend goes",
        corner(&two)
    );
    let one = render_rgb(&chart(&series[..1])).unwrap();
    assert_eq!(
        corner(&one),
        0,
        "one series: dark pixels where a legend would go"
    );
}

#[test]
fn a_nan_point_is_refused() {
    let mut series = two_loops();
    series[1].points[7].1 = f64::NAN;
    match render_rgb(&chart(&series)) {
        Err(PlotError::NonFinite {
            series,
            label,
            index,
        }) => {
            assert_eq!((series, index), (1, 7));
            assert_eq!(label, "reduced contractility");
        }
        other => panic!("expected NonFinite, got {other:?}"),
    }
    let mut series = two_loops();
    series[0].points[0].0 = f64::INFINITY;
    assert!(matches!(
        render_rgb(&chart(&series)),
        Err(PlotError::NonFinite {
            series: 0,
            index: 0,
            ..
        })
    ));
}

#[test]
fn empty_input_is_refused() {
    assert!(matches!(render_rgb(&chart(&[])), Err(PlotError::EmptyData)));
    let empty = [Series::new("a", vec![]), Series::new("b", vec![])];
    assert!(matches!(
        render_rgb(&chart(&empty)),
        Err(PlotError::EmptyData)
    ));
}

#[test]
fn degenerate_ranges_are_widened_around_the_data() {
    // All volumes equal: a vertical line, which must sit in the middle of the widened x range.
    let vertical = [Series::new("vertical", vec![(100.0, 0.0), (100.0, 50.0)])];
    let image = render_rgb(&chart(&vertical)).unwrap();
    let area = plot_area(&chart(&vertical));
    let pixels = pixels_of(&image, series_colour(0));
    assert!(
        pixels.len() > 400,
        "{} pixels of the vertical line",
        pixels.len()
    );
    let mean_x = pixels.iter().map(|&(px, _)| f64::from(px)).sum::<f64>() / pixels.len() as f64;
    let centre = f64::from(area.x.start + area.x.end) / 2.0;
    assert!(
        (mean_x - centre).abs() < 3.0,
        "vertical line at x = {mean_x}, plot centre {centre}"
    );

    // All pressures equal: a horizontal line, in the middle of the widened y range.
    let horizontal = [Series::new("horizontal", vec![(60.0, 20.0), (140.0, 20.0)])];
    let image = render_rgb(&chart(&horizontal)).unwrap();
    let pixels = pixels_of(&image, series_colour(0));
    assert!(
        pixels.len() > 400,
        "{} pixels of the horizontal line",
        pixels.len()
    );
    let mean_y = pixels.iter().map(|&(_, py)| f64::from(py)).sum::<f64>() / pixels.len() as f64;
    let centre = f64::from(area.y.start + area.y.end) / 2.0;
    assert!(
        (mean_y - centre).abs() < 3.0,
        "horizontal line at y = {mean_y}, plot centre {centre}"
    );

    // A single point: both ranges degenerate, still a valid (if empty-looking) chart.
    let point = [Series::new("point", vec![(0.0, 0.0)])];
    assert_eq!(render_rgb(&chart(&point)).unwrap().dimensions(), SIZE);
}

#[test]
fn render_png_writes_a_file_image_can_read() {
    let series = two_loops();
    let dir = std::env::temp_dir().join(format!("cardiotwin-plot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("pv_loop.png");
    render_png(&path, &chart(&series)).unwrap();
    let read = image::open(&path).unwrap().to_rgb8();
    assert_eq!(
        read,
        render_rgb(&chart(&series)).unwrap(),
        "the PNG differs from the rendered image"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn render_png_names_the_path_it_could_not_write() {
    let series = two_loops();
    let path = std::env::temp_dir()
        .join("cardiotwin-plot-no-such-dir")
        .join("sub")
        .join("pv_loop.png");
    match render_png(&path, &chart(&series)) {
        Err(e @ PlotError::Io { .. }) => assert!(e.to_string().contains("pv_loop.png"), "{e}"),
        other => panic!("expected Io, got {other:?}"),
    }
}

#[test]
fn a_too_small_size_is_refused() {
    let series = two_loops();
    let chart = Chart {
        size: (50, 40),
        ..chart(&series)
    };
    assert!(matches!(
        render_rgb(&chart),
        Err(PlotError::TooSmall {
            width: 50,
            height: 40
        })
    ));
}
