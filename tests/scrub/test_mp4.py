"""MP4/MOV scrubber: only audio and video survive (frames bit-exact by
ffmpeg framemd5), metadata boxes, subtitle/data tracks and their samples
gone, times zeroed; absurd box sizes rejected."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from scrub.api import scrub_bytes
from scrub.base import Outcome
from tests.support.scan import scan_bytes

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("exiftool") is None,
    reason="ffmpeg and exiftool are needed to build and check sample videos",
)
MP4_MARKERS = ["VidTitle", "VidComment", "Subtitle", "VidXmp", "VidMake", "MovTitle"]
GPS = "12.3456"


def _m(tag: str) -> str:
    return f"SMZ{tag}Q7"


def _make_mp4(tmp: Path) -> bytes:
    srt = tmp / "sub.srt"
    srt.write_text(f"1\n00:00:00,000 --> 00:00:01,000\n{_m('Subtitle')}\n")
    out = tmp / "in.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=duration=2:size=160x120:rate=15",
         "-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-i", str(srt),
         "-map", "0", "-map", "1", "-map", "2", "-c:v", "libx264", "-preset", "ultrafast",
         "-c:a", "aac", "-c:s", "mov_text",
         "-metadata", f"title={_m('VidTitle')}", "-metadata", f"comment={_m('VidComment')}",
         "-metadata", "creation_time=2011-11-11T11:11:11Z",
         "-metadata", f"location=+{GPS}+065.4321/", "-y", str(out)],
        check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(
        ["exiftool", "-q", "-overwrite_original", f"-XMP-dc:Creator={_m('VidXmp')}",
         f"-Keys:GPSCoordinates={GPS}, 65.4321", f"-UserData:Make={_m('VidMake')}", str(out)],
        check=True, capture_output=True,
    )  # fmt: skip
    return out.read_bytes()


def _make_mov(tmp: Path) -> bytes:
    out = tmp / "in.mov"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=duration=1:size=128x96:rate=10",
         "-f", "lavfi", "-i", "sine=duration=1", "-c:v", "mjpeg", "-c:a", "pcm_s16le",
         "-metadata", f"title={_m('MovTitle')}", "-metadata", f"location=+{GPS}+065.4321/",
         "-metadata", "creation_time=2011-11-11T11:11:11Z", "-y", str(out)],
        check=True, capture_output=True,
    )  # fmt: skip
    return out.read_bytes()


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[bytes, bytes]]:
    tmp = tmp_path_factory.mktemp("video")
    out: dict[str, tuple[bytes, bytes]] = {}
    for kind, data in (("mp4", _make_mp4(tmp)), ("mov", _make_mov(tmp))):
        result = scrub_bytes(data)
        assert result.report.detected_type == kind
        assert result.report.outcome is Outcome.CLEANED, result.report.reason
        assert result.data is not None
        out[kind] = (data, result.data)
    return out


def _framemd5(data: bytes, tmp: Path, name: str) -> list[str]:
    path = tmp / name
    path.write_bytes(data)
    proc = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:v", "-map", "0:a", "-c", "copy",
         "-f", "framemd5", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return [line for line in proc.stdout.splitlines() if not line.startswith("#")]


def _exiftool(data: bytes, tmp: Path, name: str) -> str:
    path = tmp / name
    path.write_bytes(data)
    return subprocess.run(
        ["exiftool", "-j", "-a", "-G1", "-ee", "-u", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


@pytest.mark.parametrize("kind", ["mp4", "mov"])
def test_frames_bit_exact(
    videos: dict[str, tuple[bytes, bytes]], kind: str, tmp_path: Path
) -> None:
    before, after = videos[kind]
    frames = _framemd5(before, tmp_path, f"a.{kind}")
    assert frames and frames == _framemd5(after, tmp_path, f"b.{kind}")


@pytest.mark.parametrize("kind", ["mp4", "mov"])
def test_no_planted_value_survives(
    videos: dict[str, tuple[bytes, bytes]], kind: str, tmp_path: Path
) -> None:
    before, after = videos[kind]
    planted = [t for t in MP4_MARKERS if scan_bytes(before, _m(t).encode())]
    assert planted  # the planting worked
    assert GPS.encode() in before
    for tag in planted:
        assert scan_bytes(after, _m(tag).encode()) == [], tag
    assert GPS.encode() not in after
    dump_before = _exiftool(before, tmp_path, f"a.{kind}")
    dump = _exiftool(after, tmp_path, f"b.{kind}")
    assert "SMZ" in dump_before and "GPS" in dump_before
    assert "SMZ" not in dump and "GPS" not in dump
    assert "2011:11:11" not in dump  # creation/modification times zeroed


def test_only_audio_and_video_tracks_remain(
    videos: dict[str, tuple[bytes, bytes]], tmp_path: Path
) -> None:
    _, after = videos["mp4"]
    path = tmp_path / "b.mp4"
    path.write_bytes(after)
    kinds = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0",
         str(path)],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert sorted(kinds) == ["audio", "video"]
    report = scrub_bytes(videos["mp4"][0]).report
    assert "sbtl track" in report.removed["MP4:tracks"] or "text track" in report.removed.get(
        "MP4:tracks", []
    )
    assert "udta" in report.removed["MP4:moov"]
    assert "SMZ" not in str(report.to_json())


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", len(payload) + 8, kind) + payload


@pytest.mark.parametrize(
    "data",
    [
        _box(b"ftyp", b"isom\x00\x00\x02\x00isom") + struct.pack(">I4s", 0xFFFFFFF0, b"moov"),
        _box(b"ftyp", b"isom\x00\x00\x02\x00isom")
        + struct.pack(">I4sQ", 1, b"mdat", 1 << 62)
        + b"\x00" * 32,
        _box(b"ftyp", b"isom\x00\x00\x02\x00isom")
        + _box(b"moov", struct.pack(">I4s", 0x7FFFFFFF, b"trak")),
        _box(b"ftyp", b"isom\x00\x00\x02\x00isom") + _box(b"moov", struct.pack(">I4s", 3, b"trak")),
    ],
    ids=["moov-4GiB", "mdat-2^62", "trak-past-parent", "trak-size-3"],
)
def test_absurd_box_sizes_rejected(data: bytes) -> None:
    result = scrub_bytes(data)
    assert result.report.outcome is Outcome.REJECTED, result.report.reason
    assert result.data is None


def test_truncated_video_gets_defined_outcome(videos: dict[str, tuple[bytes, bytes]]) -> None:
    before, _ = videos["mp4"]
    for cut in (100, len(before) // 2, len(before) - 10):
        result = scrub_bytes(before[:cut])
        assert result.report.outcome in (Outcome.REJECTED, Outcome.NOT_CLEANED)
        assert result.data is None


@seed(20261125)
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_fuzz_mutated_mp4(videos: dict[str, tuple[bytes, bytes]], data: st.DataObject) -> None:
    before, _ = videos["mov"]
    buf = bytearray(before)
    moov = before.find(b"moov")
    for _ in range(data.draw(st.integers(1, 6))):
        # Mostly inside the box tree (where the parser works), sometimes anywhere.
        lo = moov if data.draw(st.booleans()) else 0
        buf[data.draw(st.integers(lo, len(buf) - 1))] = data.draw(st.integers(0, 255))
    result = scrub_bytes(bytes(buf))
    assert result.report.outcome in set(Outcome)
    if result.report.outcome is not Outcome.CLEANED:
        assert result.data is None
    elif result.report.detected_type in ("mp4", "mov"):
        assert result.data is not None
        assert b"SMZ" not in result.data


def _ffmpeg(tmp: Path, name: str, *args: str) -> bytes:
    out = tmp / name
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=duration=1:size=64x48:rate=10",
         *args, "-y", str(out)],
        check=True, capture_output=True,
    )  # fmt: skip
    return out.read_bytes()


def test_timecode_track_dropped_faststart_kept_frames(tmp_path: Path) -> None:
    # A tmcd track stores the time of day the recording started.
    data = _ffmpeg(
        tmp_path, "tc.mov", "-c:v", "mjpeg", "-timecode", "13:37:42:07", "-movflags", "+faststart"
    )
    assert data.find(b"moov") < data.find(b"mdat")  # faststart layout in the input
    result = scrub_bytes(data)
    assert result.report.outcome is Outcome.CLEANED, result.report.reason
    assert result.data is not None
    assert "tmcd track" in result.report.removed["MOV:tracks"]
    assert b"tmcd" not in result.data
    frames = [
        subprocess.run(
            ["ffmpeg", "-v", "error", "-i", str(p), "-map", "0:v", "-c", "copy", "-f",
             "framemd5", "-"],
            capture_output=True, text=True, check=True,
        ).stdout.splitlines()
        for p in (tmp_path / "tc.mov", _write(tmp_path / "out.mov", result.data))
    ]  # fmt: skip
    assert frames[0] == frames[1]
    tc = subprocess.run(
        ["exiftool", "-j", "-a", "-G1", "-ee", "-u", str(tmp_path / "out.mov")],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "13:37:42" not in tc


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_fragmented_mp4_keeps_frames_drops_subtitle_fragments(tmp_path: Path) -> None:
    srt = tmp_path / "sub.srt"
    srt.write_text(f"1\n00:00:00,000 --> 00:00:02,000\n{_m('FragSubtitle')}\n")
    out = tmp_path / "frag.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=duration=3:size=96x64:rate=15",
         "-f", "lavfi", "-i", "sine=duration=3", "-i", str(srt), "-map", "0", "-map", "1",
         "-map", "2", "-c:v", "libx264", "-preset", "ultrafast", "-g", "15", "-c:a", "aac",
         "-c:s", "mov_text", "-metadata", f"title={_m('FragTitle')}",
         "-movflags", "frag_keyframe+empty_moov", "-y", str(out)],
        check=True, capture_output=True,
    )  # fmt: skip
    data = out.read_bytes()
    assert data.count(b"moof") > 1 and _m("FragSubtitle").encode() in data
    result = scrub_bytes(data)
    assert result.report.outcome is Outcome.CLEANED, result.report.reason
    assert result.data is not None
    for tag in ("FragSubtitle", "FragTitle"):
        assert scan_bytes(result.data, _m(tag).encode()) == [], tag
    assert "sbtl track" in result.report.removed["MP4:tracks"]
    assert _framemd5(data, tmp_path, "a.mp4") == _framemd5(result.data, tmp_path, "b.mp4")
    assert "SMZ" not in _exiftool(result.data, tmp_path, "c.mp4")
    again = scrub_bytes(result.data)  # the rebuilt fragments parse again, unchanged
    assert again.data == result.data


@pytest.fixture(scope="module")
def fragmented(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    tmp = tmp_path_factory.mktemp("frag")
    return _ffmpeg(
        tmp, "f.mp4", "-c:v", "libx264", "-preset", "ultrafast", "-g", "5",
        "-movflags", "frag_keyframe+empty_moov", "-metadata", "title=SMZFuzzFragQ7",
    )  # fmt: skip


@seed(20261125)
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_fuzz_mutated_fragmented_mp4(fragmented: bytes, data: st.DataObject) -> None:
    buf = bytearray(fragmented)
    moof = fragmented.find(b"moof") - 4
    for _ in range(data.draw(st.integers(1, 6))):
        # Mostly inside the fragment headers, where the new parser works.
        lo = moof if data.draw(st.booleans()) else 0
        hi = min(len(buf) - 1, moof + 400) if lo else len(buf) - 1
        buf[data.draw(st.integers(lo, hi))] = data.draw(st.integers(0, 255))
    result = scrub_bytes(bytes(buf))
    assert result.report.outcome in set(Outcome)
    if result.report.outcome is not Outcome.CLEANED:
        assert result.data is None
    elif result.report.detected_type in ("mp4", "mov"):
        assert result.data is not None
        assert b"SMZ" not in result.data


def test_vendor_trailer_after_the_last_box_is_dropped(
    videos: dict[str, tuple[bytes, bytes]],
) -> None:
    # Samsung phones append an "SEF" trailer (not a box) after the movie.
    before, _ = videos["mov"]
    trailer = b"SEFH\x00\x00\x00\x01" + _m("SefTrailer").encode() + b"\xff\xff\xff\xffSEFT"
    result = scrub_bytes(before + trailer)
    assert result.report.outcome is Outcome.CLEANED, result.report.reason
    assert result.data is not None and b"SEF" not in result.data
    assert _m("SefTrailer").encode() not in result.data
    assert "trailing data after the last box" in result.report.removed["MOV:file"]
