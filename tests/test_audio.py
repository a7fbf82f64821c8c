"""Audio input: formats, rates, channels, and the documented errors for bad input."""
import warnings

import numpy as np
import pytest
import soundfile as sf

from quality.audio import AudioError, SilentAudioWarning, load_audio, prepare_audio, resample


def tone(sr: int, seconds: float = 1.0, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(sr * seconds)) / sr
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.mark.parametrize("fmt,subtype", [("WAV", "PCM_16"), ("WAV", "FLOAT"), ("FLAC", "PCM_24"), ("OGG", "VORBIS")])
def test_formats_read_as_float32_16k(tmp_path, fmt, subtype):
    path = tmp_path / f"x.{fmt.lower()}"
    sf.write(path, tone(16000), 16000, format=fmt, subtype=subtype)
    audio = load_audio(path)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert abs(len(audio) - 16000) < 400
    assert 0.4 < np.max(np.abs(audio)) < 0.6


@pytest.mark.parametrize("sr", [8000, 22050, 44100, 48000])
def test_resampling_keeps_duration_and_frequency(tmp_path, sr):
    path = tmp_path / "x.wav"
    sf.write(path, tone(sr, 2.0, 1000.0), sr)
    audio = load_audio(path)
    assert len(audio) == 32000
    spectrum = np.abs(np.fft.rfft(audio))
    assert abs(np.argmax(spectrum) * 16000 / len(audio) - 1000.0) < 2.0


def test_resampler_removes_content_above_new_nyquist():
    x = tone(48000, 1.0, 12000.0)  # above 8 kHz: must be filtered out, not aliased
    y = resample(x, 48000)
    assert np.sqrt(np.mean(y**2)) < 1e-3


def test_stereo_mixed_first_or_each(tmp_path):
    left, right = tone(16000), tone(16000, freq=300.0)
    path = tmp_path / "st.wav"
    sf.write(path, np.stack([left, right], axis=1), 16000, subtype="FLOAT")
    np.testing.assert_allclose(load_audio(path), (left + right) / 2, atol=1e-6)
    np.testing.assert_allclose(load_audio(path, channels="first"), left, atol=1e-6)
    assert load_audio(path, channels="each").shape == (2, 16000)


def test_integer_pcm_arrays_are_scaled():
    x = (tone(16000) * 32767).astype(np.int16)
    np.testing.assert_allclose(prepare_audio(x, 16000), tone(16000), atol=1e-4)


def test_missing_empty_corrupt_files_name_the_file(tmp_path):
    with pytest.raises(AudioError, match="missing.wav: no such file"):
        load_audio(tmp_path / "missing.wav")
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(AudioError, match="empty.wav: empty file"):
        load_audio(empty)
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunkjunk" * 10)
    with pytest.raises(AudioError, match="corrupt.wav: cannot decode"):
        load_audio(corrupt)
    header_only = tmp_path / "noframes.wav"
    sf.write(header_only, np.zeros(0, dtype=np.float32), 16000)
    with pytest.raises(AudioError, match="noframes.wav: empty audio"):
        load_audio(header_only)


def test_too_short_and_nan(tmp_path):
    short = tmp_path / "short.wav"
    sf.write(short, tone(16000, 0.2), 16000)
    with pytest.raises(AudioError, match="short.wav: too short"):
        load_audio(short)
    x = tone(16000)
    x[100] = np.nan
    nan_file = tmp_path / "nan.wav"
    sf.write(nan_file, x, 16000, subtype="FLOAT")
    with pytest.raises(AudioError, match="nan.wav: contains NaN or Inf"):
        load_audio(nan_file)


def test_silence_warns_but_loads(tmp_path):
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros(16000, dtype=np.float32), 16000)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        audio = load_audio(path)
    assert len(audio) == 16000
    assert any(issubclass(w.category, SilentAudioWarning) and "silence.wav" in str(w.message) for w in caught)
