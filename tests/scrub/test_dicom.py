"""DICOM scrubber: operator/site fields gone at every depth, clinical
evidence and pixel data kept bit-exact, UIDs fresh and consistent, strict
profile removes patient identity, malformed files get a defined outcome."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pydicom
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from scrub.api import scrub_bytes
from scrub.base import STRICT_PROFILE, Outcome
from scrub.formats.dicom import IMPLEMENTATION_CLASS_UID
from tests.scrub._docs_corpus import (
    DICOM_KEPT,
    DICOM_OPERATOR_MARKERS,
    DICOM_PATIENT_MARKERS,
    make_dicom,
    marker,
)


def _m(tag: str) -> bytes:
    # Some fields hold 16 characters at most: search the truncated marker.
    return marker(tag).encode()[:16] if tag in _SHORT else marker(tag).encode()


_SHORT = {"RetrieveAE", "Accession", "ImplVersion", "MetaSourceAE"}


@pytest.fixture(scope="module")
def sample() -> bytes:
    return make_dicom(burned_in=True)


@pytest.fixture(scope="module")
def cleaned(sample: bytes) -> bytes:
    result = scrub_bytes(sample)
    assert result.report.outcome is Outcome.CLEANED, result.report.reason
    assert result.data is not None
    return result.data


def test_markers_planted(sample: bytes) -> None:
    for tag in DICOM_OPERATOR_MARKERS + DICOM_PATIENT_MARKERS + DICOM_KEPT:
        assert _m(tag) in sample, tag


def test_default_removes_operator_and_site_keeps_clinical(cleaned: bytes) -> None:
    for tag in DICOM_OPERATOR_MARKERS:
        assert _m(tag) not in cleaned, tag
    for tag in DICOM_PATIENT_MARKERS[:2] + DICOM_KEPT:
        assert _m(tag) in cleaned, tag  # patient name/id and study description kept
    ds = pydicom.dcmread(io.BytesIO(cleaned))
    assert str(ds.PatientName) == marker("PatientName")
    assert ds.PatientAge == "042Y" and ds.PatientSex == "F"
    assert ds.BodyPartExamined == "CHEST" and ds.Modality == "CT"
    assert ds.StudyDate  # dates of acquisition kept by default
    assert "OperatorsName" not in ds and "InstitutionName" not in ds
    assert ds.ReferringPhysicianName == ""  # type 2: emptied, still present
    assert not any(e.tag.is_private for e in ds.iterall())
    assert not any(0x6000 <= e.tag.group <= 0x60FF for e in ds.iterall())
    assert "DataSetTrailingPadding" not in ds
    equipment = ds.ContributingEquipmentSequence[0]
    assert "InstitutionName" not in equipment and "StationName" not in equipment
    assert equipment.Manufacturer == "ACME"


def test_pixel_data_bit_exact(sample: bytes, cleaned: bytes) -> None:
    before = pydicom.dcmread(io.BytesIO(sample))
    after = pydicom.dcmread(io.BytesIO(cleaned))
    # Raw PixelData bytes: stricter than comparing decoded arrays.
    assert before.PixelData == after.PixelData
    assert (before.Rows, before.Columns, before.BitsAllocated) == (
        after.Rows,
        after.Columns,
        after.BitsAllocated,
    )


def test_uids_fresh_and_consistent(sample: bytes, cleaned: bytes) -> None:
    before = pydicom.dcmread(io.BytesIO(sample))
    after = pydicom.dcmread(io.BytesIO(cleaned))
    for kw in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "FrameOfReferenceUID"):
        assert after[kw].value != before[kw].value
        assert str(after[kw].value).startswith("2.25.")
    assert after.file_meta.MediaStorageSOPInstanceUID == after.SOPInstanceUID
    assert after.SOPClassUID == before.SOPClassUID  # standard UIDs stay
    assert after.file_meta.ImplementationClassUID == IMPLEMENTATION_CLASS_UID
    assert after.file_meta.ImplementationVersionName == "SAMIZDAT"  # the tool, not the host
    assert "SourceApplicationEntityTitle" not in after.file_meta
    assert cleaned[:128] == b"\x00" * 128
    again = pydicom.dcmread(io.BytesIO(scrub_bytes(sample).data or b""))
    assert again.SOPInstanceUID != after.SOPInstanceUID  # fresh each time


def test_burned_in_annotation_warns(sample: bytes) -> None:
    report = scrub_bytes(sample).report
    assert any("BurnedInAnnotation" in w for w in report.warnings)
    plain = scrub_bytes(make_dicom(burned_in=False)).report
    assert not any("BurnedInAnnotation" in w for w in plain.warnings)


def test_report_names_not_values(sample: bytes) -> None:
    report = scrub_bytes(sample).report
    assert "OperatorsName" in report.removed["DICOM"]
    assert "InstitutionName" in report.removed["DICOM/ContributingEquipmentSequence"]
    assert "SMZ" not in str(report.to_json())


def test_strict_profile_removes_patient_identity(sample: bytes) -> None:
    result = scrub_bytes(sample, profile=STRICT_PROFILE)
    assert result.report.outcome is Outcome.CLEANED
    data = result.data
    assert data is not None
    for tag in DICOM_OPERATOR_MARKERS + DICOM_PATIENT_MARKERS:
        assert _m(tag) not in data, tag
    ds = pydicom.dcmread(io.BytesIO(data))
    assert ds.PatientName == "" and ds.PatientID == "" and ds.PatientBirthDate == ""
    assert ds.PatientAge == "042Y" and ds.PatientSex == "F"  # not identity on their own
    assert marker("StudyDesc").encode() in data


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool not installed")
def test_exiftool_oracle(cleaned: bytes, tmp_path: Path) -> None:
    path = tmp_path / "out.dcm"
    path.write_bytes(cleaned)
    out = subprocess.run(
        ["exiftool", "-j", "-a", "-G1", "-ee", "-u", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for tag in DICOM_OPERATOR_MARKERS:
        assert _m(tag).decode() not in out, tag


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d[:200],  # truncated inside the file meta
        lambda d: d[: len(d) // 2],  # truncated inside pixel data
        lambda d: d[:132] + b"\xff" * 64,  # garbage after DICM
        lambda d: d[:140] + b"\xff\xff\xff\xff" + d[144:],  # absurd meta group length
    ],
)
def test_malformed_dicom_gets_defined_outcome(sample: bytes, mutate: object) -> None:
    data = mutate(sample)  # type: ignore[operator]
    result = scrub_bytes(data)
    assert result.report.outcome in set(Outcome)
    if result.report.outcome is Outcome.CLEANED:
        assert result.data is not None
        pydicom.dcmread(io.BytesIO(result.data))
    else:
        assert result.data is None


@pytest.fixture(scope="module")
def small_dicom() -> bytes:
    return make_dicom()


@seed(20261125)
@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_fuzz_mutated_dicom(small_dicom: bytes, data: st.DataObject) -> None:
    buf = bytearray(small_dicom)
    # Mutate the header/elements region, where the parser does its work.
    for _ in range(data.draw(st.integers(1, 6))):
        buf[data.draw(st.integers(128, 2000))] = data.draw(st.integers(0, 255))
    result = scrub_bytes(bytes(buf))
    assert result.report.outcome in set(Outcome)
    if result.report.outcome is not Outcome.CLEANED:
        assert result.data is None
    elif result.report.detected_type == "dicom":
        # A mutation can renumber a tag into a kept clinical one (one byte
        # turns InstitutionName into AdmittingDiagnosesDescription): no
        # parser can tell, so the property is the profile's structure.
        assert result.data is not None
        ds = pydicom.dcmread(io.BytesIO(result.data))
        for elem in ds.iterall():
            assert elem.keyword, elem.tag  # nothing outside the dictionary
            assert not elem.tag.is_private
            assert elem.keyword not in _REMOVED_ALWAYS
        assert result.data[:128] == b"\x00" * 128


_REMOVED_ALWAYS = {"OperatorsName", "InstitutionName", "StationName", "DeviceSerialNumber"}


def _pydicom_test_files() -> list[Path]:
    from pydicom.data import get_testdata_file

    folder = Path(get_testdata_file("CT_small.dcm")).parent  # type: ignore[arg-type]
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix == ".dcm")


@pytest.mark.parametrize("path", _pydicom_test_files(), ids=lambda p: p.name)
def test_pydicom_reference_files(path: Path) -> None:
    """pydicom's own test files (many vendors, transfer syntaxes, odd
    encodings, sequences, private sequences, compressed pixel data): each
    gets a defined outcome; cleaned ones keep PixelData byte for byte."""
    data = path.read_bytes()
    result = scrub_bytes(data)
    if result.report.detected_type != "dicom":
        assert result.report.outcome is not Outcome.CLEANED or result.data is not None
        return
    if result.report.outcome is not Outcome.CLEANED:
        assert result.data is None and result.report.reason
        return
    assert result.data is not None
    before = pydicom.dcmread(io.BytesIO(data))
    after = pydicom.dcmread(io.BytesIO(result.data))
    if "PixelData" in before:
        assert after.PixelData == before.PixelData
    assert not any(e.tag.is_private for e in after.iterall())
    assert result.data[:128] == b"\x00" * 128
    assert "OperatorsName" not in after and "InstitutionName" not in after
