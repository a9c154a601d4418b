from harness.history.hugepages import defrag_mode, no_synchronous_huge_pages


def test_the_selected_defrag_mode_is_read_from_the_brackets(tmp_path):
    path = tmp_path / "defrag"
    path.write_text("always defer defer+madvise [madvise] never\n")
    assert defrag_mode(path) == "madvise"
    path.write_text("garbage\n")
    assert defrag_mode(path) is None
    assert defrag_mode(tmp_path / "absent") is None


def test_numpy_is_left_alone_where_the_kernel_never_compacts_on_the_spot(tmp_path):
    path = tmp_path / "defrag"
    for mode in ("defer", "never"):
        path.write_text(f"always [{mode}] madvise\n")
        assert no_synchronous_huge_pages(path) is False
    assert no_synchronous_huge_pages(tmp_path / "absent") is False


def test_numpys_huge_pages_are_turned_off_where_the_kernel_would_compact(tmp_path):
    from numpy._core import multiarray

    path = tmp_path / "defrag"
    path.write_text("always defer defer+madvise [madvise] never\n")
    before = multiarray._set_madvise_hugepage(True)
    try:
        assert no_synchronous_huge_pages(path) is True
        assert multiarray._set_madvise_hugepage(True) is False  # it was off
    finally:
        multiarray._set_madvise_hugepage(before)
