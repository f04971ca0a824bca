"""Chart geometry for server-side SVG: scaled to the data, aligned, and never a style attribute."""

from apps.dashboard.charts import category_bars, funnel, line_chart, stacked_columns


def test_category_bars_scale_to_the_tallest_and_keep_empty_places():
    bars = category_bars([("a", "0", 0), ("b", "1", 5), ("c", "2", 10)], width=300, height=100)
    assert [b.height for b in bars] == [0, 50, 100]
    assert [b.y for b in bars] == [100, 50, 0]
    assert bars[1].centre == 150


def test_a_line_runs_from_low_to_high_through_the_middle_of_each_slot_and_skips_gaps():
    line = line_chart([("w1", -100), ("w2", None), ("w3", 100)], low=-100, high=100, width=300, height=100)
    assert [(p.x, p.y) for p in line.points if p.value is not None] == [(50, 100), (250, 0)]
    assert line.polyline == "50.0,100.0 250.0,0.0"
    assert line.baseline_y == 50


def test_stacked_columns_pile_parts_bottom_up_scaled_to_the_largest_total():
    columns = stacked_columns([("w1", {"d": 1, "p": 1}), ("w2", {"d": 0, "p": 4})], keys=["d", "p"], height=100)
    first, second = columns
    assert [(part.key, part.y, part.height) for part in first.parts] == [("d", 75, 25), ("p", 50, 25)]
    assert [(part.key, part.height) for part in second.parts] == [("p", 100)]
    assert second.total == 4


def test_a_funnel_compares_each_row_with_the_first():
    rows = funnel([("sent", "Sent", 200), ("opened", "Opened", 50), ("clicked", "Clicked", 0)])
    assert [(r.width, r.rate) for r in rows] == [(100, 1.0), (25, 0.25), (0, 0.0)]
    assert funnel([("sent", "Sent", 0)])[0].rate is None
