"""Pretraining data minus the benchmarks' people: ids that name the same person, exclusion that holds."""
import pytest

from harnet_edge.data import DataError, read_hmp_adl
from harnet_edge.data.hmp_adl import PAPER_CLASSES, PAPER_SUBJECTS
from harnet_edge.data.provenance import benchmark_subjects, excluded_keys, overlap, parse_names, subject_key
from harnet_edge.data.unlabelled import unlabelled_windows

ADL_KEYS = {f"hmp_adl:{s}" for s in PAPER_SUBJECTS}


def test_adl_benchmark_volunteers_are_the_same_people_in_adl_all(datasets_root):
    """Both names select HMP trial files and take the id from the file name, so the same file
    carries the same id in both selections; the benchmark's 7 are among adl-all's 16."""
    benchmark = {(r.source, r.subject) for r in read_hmp_adl(datasets_root / "hmp_adl", PAPER_CLASSES, PAPER_SUBJECTS)}
    everything = {(r.source, r.subject) for r in read_hmp_adl(datasets_root / "hmp_adl", classes=None, subjects=None)}
    assert benchmark <= everything
    assert benchmark_subjects("adl", datasets_root) == sorted(PAPER_SUBJECTS)
    assert len(benchmark_subjects("adl-all", datasets_root)) == 16
    assert {subject_key("adl", s) for s in PAPER_SUBJECTS} == {subject_key("adl-all", s) for s in PAPER_SUBJECTS}
    # different studies never share a key, even where an id string repeated
    assert subject_key("selfback", "f1") != subject_key("adl", "f1")


def test_exclude_subjects_of_adl_keeps_every_window_of_its_volunteers_out(datasets_root):
    exclude = excluded_keys(["adl"], datasets_root)
    assert exclude == ADL_KEYS
    windows, record = unlabelled_windows(["adl-all"], datasets_root, 10.0, 5.0, exclude, log=lambda m: None)
    assert not set(windows.subjects.tolist()) & ADL_KEYS          # in no activity, not only the benchmark's 5
    assert set(record["subjects"]) == set(windows.subjects.tolist()) and len(record["subjects"]) == 9
    assert set(record["excluded_subjects"]) == ADL_KEYS
    assert (windows.labels == "").all()
    everyone, _ = unlabelled_windows(["adl-all"], datasets_root, 10.0, 5.0, log=lambda m: None)
    assert set(everyone.subjects.tolist()) >= ADL_KEYS and len(everyone) > len(windows)


def test_selfback_subjects_listed_without_reading_data(datasets_root):
    subjects = benchmark_subjects("selfback", datasets_root)
    assert len(subjects) == 33 and subjects[0] == "026"
    assert excluded_keys(["selfback"], datasets_root) == {f"selfback:{s}" for s in subjects}


def test_overlap_is_per_source_and_unknown_without_a_record():
    record = {"datasets": ["adl-all", "selfback"], "subjects": ["hmp_adl:m5", "selfback:026"]}
    assert overlap(record, "adl", ["f1", "m5"]) == ["m5"]
    assert overlap(record, "selfback", ["026", "027"]) == ["026"]
    assert overlap(record, "adl", ["026"]) == []
    assert overlap(None, "adl", ["f1"]) is None


def test_bad_names_are_refused(datasets_root):
    with pytest.raises(DataError, match="unknown dataset 'hmp'"):
        parse_names("adl-all,hmp", ("adl-all", "selfback"))
    with pytest.raises(DataError, match="benchmark names"):
        excluded_keys(["adl-everything"], datasets_root)
