import io
import shutil
import subprocess

import av
import numpy as np
import pytest

from ml.video import VideoError, probe_video, read_video

TV_FRAMES = 45  # what FFmpeg itself decodes (`ffprobe -count_frames`); the header claims 48
TV_CODED_FRAMES = 48  # the mp4 edit list hides 3 of them; a stream copy into mkv/mov shows all


def test_real_clip_decodes_to_upright_rgb_frames_with_timestamps(tv_clip):
    video = read_video(tv_clip)

    assert video.n_frames == TV_FRAMES
    assert (video.width, video.height, video.rotation) == (640, 360, 0)
    assert all(frame.shape == (360, 640, 3) and frame.dtype == np.uint8 for frame in video.frames)
    assert video.timestamps_s[0] == 0.0
    assert np.all(np.diff(video.timestamps_s) > 0)
    assert video.fps == pytest.approx(29.97, abs=0.01)
    # Same pixels as decoding with PyAV directly.
    with av.open(str(tv_clip)) as container:
        first = next(container.decode(video=0)).to_ndarray(format="rgb24")
    assert np.array_equal(video.frames[0], first)


def test_probe_reports_the_clip_without_decoding_it_all(tv_clip):
    info = probe_video(tv_clip)

    assert (info.width, info.height, info.rotation, info.codec) == (640, 360, 0, "h264")
    assert info.fps == pytest.approx(29.97, abs=0.01)
    assert info.duration_s == pytest.approx(1.53, abs=0.02)
    assert abs(info.n_frames_estimate - TV_FRAMES) <= 3


def test_probe_accepts_an_open_file_and_leaves_it_where_it_was(tv_clip):
    upload = io.BytesIO(tv_clip.read_bytes())

    info = probe_video(upload)

    assert (info.width, info.height) == (640, 360)
    assert upload.tell() == 0


VP8_STREAM = ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-f", "webm"]
VP9 = ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8"]
AV1 = ["-c:v", "libaom-av1", "-usage", "realtime", "-cpu-used", "8", "-b:v", "400k"]
COPY = ["-c", "copy"]


@pytest.mark.parametrize(
    ("name", "ffmpeg_args", "codec", "n_frames"),
    [
        ("recorded.webm", VP8_STREAM, "vp8", TV_FRAMES),  # piped, like MediaRecorder: no duration
        ("vp9.webm", VP9, "vp9", TV_FRAMES),
        ("av1.mp4", AV1, "libdav1d", TV_FRAMES),
        ("copy.mkv", COPY, "h264", TV_CODED_FRAMES),
        ("copy.mov", COPY, "h264", TV_CODED_FRAMES),
    ],
)
def test_browser_and_phone_formats_decode_to_the_same_frames(
    tv_clip, ffmpeg, tmp_path, request, name, ffmpeg_args, codec, n_frames
):
    path = tmp_path / name
    if name == "recorded.webm":
        path = request.getfixturevalue("recorded_webm")
    else:
        ffmpeg("-i", tv_clip, "-an", *ffmpeg_args, path)

    info = probe_video(path)
    video = read_video(path)

    assert info.codec == codec
    assert abs(video.n_frames - n_frames) <= 1
    assert info.duration_s == pytest.approx(n_frames / 29.97, abs=0.1)
    assert (video.width, video.height) == (640, 360)


@pytest.fixture(scope="module")
def recorded_webm(tv_clip, ffmpeg, tmp_path_factory):
    path = tmp_path_factory.mktemp("webm") / "recorded.webm"
    _ffmpeg_to_pipe(tv_clip, path, VP8_STREAM)
    return path


def _ffmpeg_to_pipe(source, path, args):
    """Encode to a pipe, as a browser's MediaRecorder streams: the muxer cannot seek back to
    write the duration and cues."""
    with open(path, "wb") as out:
        subprocess.run(
            [shutil.which("ffmpeg"), "-v", "error", "-nostdin", "-i", str(source), "-an", *args, "pipe:1"],
            stdout=out,
            check=True,
        )


@pytest.mark.parametrize("rotate", [90, 180, 270])
def test_rotated_phone_clip_is_turned_upright_like_ffmpeg_does(tv_clip, ffmpeg, tmp_path, rotate):
    rotated = tmp_path / f"rot{rotate}.mp4"
    ffmpeg("-i", tv_clip, "-c", "copy", "-metadata:s:v:0", f"rotate={rotate}", rotated)
    ffmpeg("-i", rotated, "-frames:v", "1", tmp_path / "ffmpeg_first.png")  # FFmpeg auto-rotates
    with av.open(str(tmp_path / "ffmpeg_first.png")) as container:
        expected = next(container.decode(video=0)).to_ndarray(format="rgb24")

    video = read_video(rotated)
    info = probe_video(rotated)

    upright = (360, 640) if rotate in (90, 270) else (640, 360)
    assert (video.width, video.height) == upright == (info.width, info.height)
    assert video.frames[0].shape == expected.shape
    assert np.abs(video.frames[0].astype(int) - expected).mean() < 1.0


def test_non_utf8_metadata_does_not_make_a_clip_unreadable(tv_clip, ffmpeg, tmp_path):
    # One of the shared ISLR clips has such a tag; PyAV's default strict decoding refuses the file.
    path = tmp_path / "bad_tag.mp4"
    subprocess.run(
        [shutil.which("ffmpeg"), "-v", "error", "-nostdin", "-i", str(tv_clip), "-c", "copy"]
        + ["-metadata:s:v:0", b"handler_name=\xbd\xbdVideo", str(path)],
        check=True,
    )

    assert probe_video(path).codec == "h264"
    assert read_video(path).n_frames == TV_CODED_FRAMES


def test_large_frames_are_downscaled_while_decoding(tv_clip):
    video = read_video(tv_clip, max_side=320)

    assert (video.width, video.height) == (320, 180)
    assert video.frames[0].shape == (180, 320, 3)


def test_target_fps_keeps_evenly_spaced_frames(tv_clip):
    video = read_video(tv_clip, target_fps=10)

    assert video.n_frames == 15  # every third frame of 45 at 29.97 fps
    assert np.allclose(np.diff(video.timestamps_s), 3 / 29.97)
    assert video.fps == pytest.approx(9.99, abs=0.01)


def test_limits_give_typed_errors(tv_clip):
    with pytest.raises(VideoError) as too_long:
        read_video(tv_clip, max_seconds=1.0)
    with pytest.raises(VideoError) as too_many_frames:
        read_video(tv_clip, max_frames=30)
    with pytest.raises(VideoError) as too_short:
        read_video(tv_clip, min_seconds=2.0)
    with pytest.raises(VideoError) as probe_too_long:
        probe_video(tv_clip, max_seconds=1.0)
    with pytest.raises(VideoError) as too_large:
        probe_video(tv_clip, max_bytes=1000)

    assert too_long.value.code == too_many_frames.value.code == probe_too_long.value.code == "too_long"
    assert too_short.value.code == "too_short"
    assert too_large.value.code == "too_large"
    assert "2 s" in too_short.value.message


def test_webm_without_duration_is_measured_by_demuxing(recorded_webm):
    path = recorded_webm
    with av.open(str(path)) as container:
        assert not container.duration and not container.streams.video[0].duration  # the case at hand

    with pytest.raises(VideoError) as too_long:
        probe_video(path, max_seconds=1.0)

    assert too_long.value.code == "too_long"


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("fn", [probe_video, read_video])
def test_bad_inputs_are_unreadable_video(tv_clip, ffmpeg, tmp_path, fn):
    rng = np.random.default_rng(0)
    audio_only = tmp_path / "audio.m4a"
    ffmpeg("-f", "lavfi", "-i", "sine=duration=1", audio_only)
    no_frames = tmp_path / "no_frames.mp4"
    ffmpeg("-f", "lavfi", "-i", "color=size=64x64:duration=1", "-frames:v", "0", no_frames)
    corrupt = bytearray(tv_clip.read_bytes())
    corrupt[:4096] = rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()  # header destroyed
    bad = {
        "empty": _write(tmp_path / "empty.mp4", b""),
        "random": _write(tmp_path / "random.mp4", rng.integers(0, 256, 5000, dtype=np.uint8).tobytes()),
        "text": _write(tmp_path / "notes.mp4", b"this is not a video\n"),
        "corrupt": _write(tmp_path / "corrupt.mp4", bytes(corrupt)),
        "audio_only": audio_only,
        "no_frames": no_frames,
        "missing": tmp_path / "missing.mp4",
    }

    for name, path in bad.items():
        with pytest.raises(VideoError) as error:
            fn(path)
        assert error.value.code == "unreadable_video", name
        assert error.value.message, name


def test_a_single_frame_is_too_short(tv_clip, ffmpeg, tmp_path):
    one_frame = tmp_path / "one.mp4"
    ffmpeg("-i", tv_clip, "-frames:v", "1", one_frame)

    with pytest.raises(VideoError) as probed:
        probe_video(one_frame)
    with pytest.raises(VideoError) as read:
        read_video(one_frame)

    assert probed.value.code == read.value.code == "too_short"
