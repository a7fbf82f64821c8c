"""CUDA numerics switches (quality.precision): they only flip PyTorch's global flags, so their
logic is checked here without a GPU (benchmarks/gpu_check.py checks the effect on one)."""
import pytest
import torch

from quality.precision import differentiable_rnn, full_float32

CUDA, CPU = torch.device("cuda"), torch.device("cpu")


@pytest.fixture
def tf32_on():
    cudnn, matmul = torch.backends.cudnn, torch.backends.cuda.matmul
    saved = (cudnn.allow_tf32, matmul.allow_tf32, cudnn.enabled)
    cudnn.allow_tf32 = matmul.allow_tf32 = True
    yield
    cudnn.allow_tf32, matmul.allow_tf32, cudnn.enabled = saved


def test_full_float32_turns_tf32_off_on_cuda_and_restores(tf32_on):
    with full_float32(CUDA):
        assert not torch.backends.cudnn.allow_tf32 and not torch.backends.cuda.matmul.allow_tf32
    assert torch.backends.cudnn.allow_tf32 and torch.backends.cuda.matmul.allow_tf32
    with pytest.raises(RuntimeError):
        with full_float32(CUDA):
            raise RuntimeError("boom")
    assert torch.backends.cudnn.allow_tf32 and torch.backends.cuda.matmul.allow_tf32


def test_full_float32_leaves_cpu_settings_alone(tf32_on):
    with full_float32(CPU):
        assert torch.backends.cudnn.allow_tf32 and torch.backends.cuda.matmul.allow_tf32


def test_differentiable_rnn_switches_cudnn_off_only_when_recording_gradients(tf32_on):
    torch.backends.cudnn.enabled = True
    with differentiable_rnn(CUDA):
        assert not torch.backends.cudnn.enabled
    assert torch.backends.cudnn.enabled
    with torch.no_grad(), differentiable_rnn(CUDA):
        assert torch.backends.cudnn.enabled
    with differentiable_rnn(CPU):
        assert torch.backends.cudnn.enabled
