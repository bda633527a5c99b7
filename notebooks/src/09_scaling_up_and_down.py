# %% [markdown]
# # 09 · Scaling up and scaling down: one training run on many GPUs, one model on a small device
#
# {{COLAB_BADGE}}
#
# Everything so far ran on one device, at course size. Two kinds of user outgrow that. An instructor
# who wants the paper-size SRResNet trains on DIV2K with several GPUs, perhaps several machines:
# **scaling up**. A student who wants the model in an app, in a browser or in real time on a laptop
# needs it exported and smaller: **scaling down**. This lesson is the engineering of both: what
# PyTorch's `DistributedDataParallel` (DDP) computes and why the result is the same model, the
# commands that start it, what it costs, and what ONNX export and int8 quantisation buy. It is a
# lesson of its own rather than a section of lesson 05 because lesson 05 already fills its time
# budget, and because the idea is a different one: not *what* to train, but *where* it runs.
#
# **Learning goals.** After this lesson you can
#
# 1. draw what DDP does each step (shard the global batch, all-reduce the gradients) and show, with
#    numbers, that the average of the ranks' gradients is the gradient of the whole batch;
# 2. start the library's training with `torchrun` on one machine or on several, and say what the
#    flags mean;
# 3. say what DDP costs on one device, and where that number comes from;
# 4. read a speed-quality table of exported models (PyTorch, ONNX Runtime fp32, int8) against a
#    real-time line, and export a model to ONNX yourself;
# 5. quantise a tensor to symmetric int8 by hand, and scale the batch and learning rate of a
#    multi-GPU run.
#
# Time: {{LESSON_TIME}}

# %%
# Setup: on Colab, install the course package (Colab's torch, numpy and ipywidgets are kept).
import sys
if "google.colab" in sys.modules:
    %pip install --quiet "{{INSTALL_SPEC}}"
%matplotlib inline
import imgsynth_edu as ise
print(ise.mode_banner("09_scaling_up_and_down"))
device = ise.get_device()
_ = ise.seed_everything(0)  # seeds Python, NumPy and torch; the seeded generator it returns is not needed here
import torch
torch.set_num_threads(1)  # the gradients compared below are sums of floats: one thread keeps their order, and the numbers, the same everywhere

# %%
import importlib.util
import os
import shlex
import subprocess
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch.distributed.run import get_args_parser as torchrun_parser

from imgsynth_edu import pretrained, viz
from imgsynth_edu.cli import build_parser as imgsynth_parser
from imgsynth_edu.models.srresnet import SRResNet
from imgsynth_edu.training import distributed
from imgsynth_edu.utils import benchmark_result

quick = ise.is_quick_mode()

# %% [markdown]
# ## 1. What DDP does
#
# `torchrun --nproc_per_node=N` starts $N$ copies of the same program, one per GPU. Each copy, a
# **rank** $r \in \{0, \dots, N-1\}$, holds the whole model. Every step, all ranks draw **the same
# global batch** of $B$ items (the same seeded generator) and each keeps its share
# $S_r = \{r, r+N, r+2N, \dots\}$ (`distributed.shard`: $B/N$ items). Each rank computes the gradient
# $g_r$ of the mean loss on its share; then the ranks **all-reduce** the gradients: every rank sends
# its $g_r$ and receives the average $g$ (NCCL does this between GPUs, gloo between CPUs):
#
# $$g = \frac{1}{N}\sum_{r=0}^{N-1} g_r
#     = \frac{1}{N}\sum_{r=0}^{N-1} \nabla_\theta \frac{N}{B}\sum_{i \in S_r} \ell_i
#     = \nabla_\theta \frac{1}{B}\sum_{i=1}^{B} \ell_i ,$$
#
# the gradient of the mean loss on the whole batch (Li et al. 2020, §2-3). All ranks start from the
# same weights (DDP copies rank 0's when it wraps the model) and apply the same $g$ with the same
# optimizer, so they stay identical, step after step.

# %%
fig = viz.plot_all_reduce(world_size=2, batch_size=4)
plt.show()

# %% [markdown]
# The equation can be checked without any GPU. `distributed.rank_gradients` computes, in one
# process, what each of $N$ ranks would compute on its share; `distributed.average_over_ranks` is the
# all-reduce's arithmetic (sum, divide by $N$); `distributed.batch_gradient` is what a single process
# computes on the whole batch. We take a small SRResNet (×2) and a global batch of 8 patch pairs, in
# float64: the equation is exact, so what is left is rounding, and float64 makes it tiny (in float32,
# which training uses, the same sums differ by about $10^{-5}$ of the largest gradient, because a
# convolution adds thousands of products in another order).

# %%
torch.manual_seed(0)
small_model = SRResNet(scale=2, num_blocks=2, channels=16, batch_norm=False).double()
patches = torch.Generator().manual_seed(1)
low_res = torch.rand(8, 3, 12, 12, generator=patches, dtype=torch.float64)  # (8, 3, 12, 12): the global batch's inputs
high_res = torch.rand(8, 3, 24, 24, generator=patches, dtype=torch.float64)  # (8, 3, 24, 24): and its targets
whole_batch = distributed.batch_gradient(small_model, F.l1_loss, low_res, high_res)
largest = max(float(g.abs().max()) for g in whole_batch)
differences, single_rank = {}, {}
for world_size in (2, 4, 8):
    ranks = distributed.rank_gradients(small_model, F.l1_loss, low_res, high_res, world_size)
    averaged = distributed.average_over_ranks(ranks)
    differences[world_size] = max(float((a - b).abs().max()) for a, b in zip(averaged, whole_batch))
    rank_0_alone = torch.cat([(a - b).flatten() for a, b in zip(ranks[0], whole_batch)])  # (P,): all parameters
    single_rank[world_size] = float(rank_0_alone.norm() / torch.cat([g.flatten() for g in whole_batch]).norm())
    print(f"N = {world_size}: {8 // world_size} item{'s' if world_size < 8 else ''} per rank; max |average of ranks - whole batch| "
          f"{differences[world_size]:.1e}; rank 0 alone is off by {single_rank[world_size]:.1%} of the gradient's norm")

# %%
ise.claim("for N = 2, 4 and 8 ranks, the average of the ranks' gradients equals the whole batch's gradient "
          "to float64 rounding (max |difference| under 1e-12 of the largest gradient)",
          all(difference <= 1e-12 * largest for difference in differences.values()),
          measured=", ".join(f"N = {n}: {d:.1e}" for n, d in differences.items()) + f" (largest |g| {largest:.2f})")
ise.claim("one rank's own gradient is not the batch's: without the all-reduce it is off by more than 1 % of "
          "the gradient's norm, and more so the smaller its share",
          all(error > 0.01 for error in single_rank.values()) and single_rank[8] > single_rank[2],
          measured=", ".join(f"N = {n}: {error:.1%}" for n, error in single_rank.items()))

# %% [markdown]
# **The real thing.** The same arithmetic, now done by two processes that talk to each other. We run
# the library's training command twice: once in one process, and once under `torchrun` with two
# processes that communicate with gloo over the loopback network (the CPU stands in for two GPUs:
# the code path is the same, only the backend differs). Both train the same small SRResNet for a few
# Adam steps on the same global batch of 4 patch pairs; the two-process run gives each process 2.
# `tests/test_distributed.py` runs the same comparison in CI.

# %%
steps = ise.quick_or_full(3, 20)
options = ["train", "srresnet", "--steps", str(steps), "--batch-size", "4", "--patch-size", "16", "--blocks", "1",
           "--channels", "4", "--no-batch-norm", "--no-eval", "--quiet", "--device", "cpu", "--lr", "1e-3"]
# One thread per process; no GPU for these two processes (with one GPU, two ranks would both want it).
environment = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
workdir = Path(tempfile.mkdtemp(prefix="ddp-demo-"))
one_process = [sys.executable, "-m", "imgsynth_edu.cli", *options, "--out", str(workdir / "one.pt")]
two_processes = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                 "-m", "imgsynth_edu.cli", *options, "--out", str(workdir / "two.pt")]
for command in (one_process, two_processes):
    print("$", shlex.join(["torchrun", *command[3:]] if "torch.distributed.run" in command else
                          ["python", *command[1:]]).replace(str(workdir) + "/", ""))
    finished = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=600)
    if finished.returncode != 0:
        raise RuntimeError(f"the command failed:\n{finished.stderr[-2000:]}")
    print(finished.stderr.strip().splitlines()[-1].replace(str(workdir) + "/", ""))  # "wrote one.pt and one.json"


def flat_weights(model):
    return torch.cat([parameter.detach().flatten() for parameter in model.parameters()])


one_model, two_model = pretrained.load_file(workdir / "one.pt"), pretrained.load_file(workdir / "two.pt")
ddp_difference = float((flat_weights(one_model) - flat_weights(two_model)).abs().max())
ise.seed_everything(0)  # what the command does first (--seed 0), so these are its initial weights
initial_model = SRResNet(scale=4, num_blocks=1, channels=4, batch_norm=False)
moved = float((flat_weights(one_model) - flat_weights(initial_model)).abs().max())

# %%
ise.claim(f"2 processes on half batches give the same weights as 1 process on the global batch after {steps} "
          "Adam steps (max |difference| under 1e-5, float rounding)",
          ddp_difference <= 1e-5,
          measured=f"max |difference| {ddp_difference:.1e}; the same training moved a weight by up to {moved:.1e}")
ise.claim("only rank 0 wrote the model file and its card", (workdir / "two.pt").is_file() and
          finished.stderr.count("wrote ") == 1,
          measured=f"{finished.stderr.count('wrote ')} 'wrote' line(s) from 2 processes; files: "
                   f"{', '.join(sorted(p.name for p in workdir.iterdir() if p.name.startswith('two')))}")

# %% [markdown]
# Two things DDP does **not** make equal: batch normalisation computes its statistics on each rank's
# share (`torch.nn.SyncBatchNorm` shares them, on CUDA), which is why the runs above use
# `--no-batch-norm`; and anything random that is drawn per item must be drawn for the whole global
# batch and sharded too (the library does so for the GAN's noise).
#
# ## 2. The commands
#
# **One machine** (a cloud or Colab VM with several GPUs): `--nproc_per_node` processes, one per GPU.
# `--batch-size` is the **global** batch, split over the ranks; `--standalone` lets torchrun pick a free
# port on the machine itself.
#
# ```bash
# torchrun --standalone --nproc_per_node=4 -m imgsynth_edu.cli train srresnet \
#     --images DIV2K_train_HR --out srresnet-x4.pt --steps 100000 --batch-size 16
# ```
#
# **Several machines** (a cluster): the same command on every node. They find each other through one
# **rendezvous** address (`--rdzv_endpoint`, a host and port of node 0, with the `c10d` backend that
# PyTorch ships) and a job name (`--rdzv_id`); `--nnodes` × `--nproc_per_node` is the world size $N$:
#
# ```bash
# # on each of the 2 nodes, 8 GPUs each (node 0's address is 10.0.0.1):
# torchrun --nnodes=2 --nproc_per_node=8 \
#     --rdzv_backend=c10d --rdzv_endpoint=10.0.0.1:29500 --rdzv_id=srresnet-div2k \
#     -m imgsynth_edu.cli train srresnet --images /data/DIV2K_train_HR --out srresnet-x4.pt \
#     --batch-size 16 --resume
# ```
#
# `--resume` continues from `OUT.state.pt`: every rank loads the same checkpoint, so a job that was
# stopped goes on exactly where it was. The book's page *Scaling up and down* has the details
# (streaming a folder too large for memory, `--workers`, SLURM). A command in a lesson is easy to get
# wrong and impossible to test here without the GPUs, so we check the next best thing: both commands
# are read by torchrun's own argument parser and by the course's, and every flag means what we said.

# %%
one_machine = ("torchrun --standalone --nproc_per_node=4 -m imgsynth_edu.cli train srresnet "
               "--images DIV2K_train_HR --out srresnet-x4.pt --steps 100000 --batch-size 16")
several_machines = ("torchrun --nnodes=2 --nproc_per_node=8 --rdzv_backend=c10d --rdzv_endpoint=10.0.0.1:29500 "
                    "--rdzv_id=srresnet-div2k -m imgsynth_edu.cli train srresnet --images /data/DIV2K_train_HR "
                    "--out srresnet-x4.pt --batch-size 16 --resume")
parsed = {}
for name, line in (("one machine", one_machine), ("several machines", several_machines)):
    launcher = torchrun_parser().parse_args(shlex.split(line)[1:])
    training = imgsynth_parser().parse_args(launcher.training_script_args)
    parsed[name] = (launcher, training)
    print(f"{name}: nnodes={launcher.nnodes}, nproc_per_node={launcher.nproc_per_node}, "
          f"rdzv={launcher.rdzv_backend} at {launcher.rdzv_endpoint or '(this machine)'}, module={launcher.module}, "
          f"script={launcher.training_script}; train {training.what}: batch {training.batch_size}, "
          f"images {training.images}, resume {training.resume}")

# %%
(launcher_one, train_one), (launcher_many, train_many) = parsed["one machine"], parsed["several machines"]
ise.claim("both commands are valid for torchrun and for imgsynth-edu: 4 processes on one machine, 2 nodes × 8 "
          "processes meeting at 10.0.0.1:29500, each running `train srresnet` with a global batch of 16",
          launcher_one.standalone and launcher_one.nproc_per_node == "4" and launcher_one.module
          and launcher_many.nnodes == "2" and launcher_many.nproc_per_node == "8"
          and launcher_many.rdzv_backend == "c10d" and launcher_many.rdzv_endpoint == "10.0.0.1:29500"
          and launcher_many.training_script == "imgsynth_edu.cli" and train_one.what == train_many.what == "srresnet"
          and train_one.batch_size == train_many.batch_size == 16 and train_many.resume,
          measured=f"torchrun read nproc_per_node {launcher_one.nproc_per_node} / {launcher_many.nproc_per_node}, "
                   f"nnodes {launcher_many.nnodes}, rdzv {launcher_many.rdzv_backend}@{launcher_many.rdzv_endpoint}; "
                   f"imgsynth-edu read train {train_one.what}, --batch-size {train_one.batch_size}")

# %% [markdown]
# ## 3. What DDP costs on one device
#
# With $N$ GPUs a step of the global batch takes about $1/N$ of the time, *if* the all-reduce costs
# little. DDP keeps it small by sending gradients in **buckets** while the backward pass is still
# running (Li et al. 2020, §3.2.3): communication overlaps computation. What remains is DDP's own
# bookkeeping (a hook on every parameter, copying gradients into the buckets). `benchmarks/ddp_overhead.py`
# measures it where nothing else can hide it: one device, world size 1, the same small SRResNet trained
# with and without the DDP wrapper, rounds alternating. The numbers it wrote:

# %%
overhead = benchmark_result("ddp_overhead")
cpu_run = overhead["runs"]["cpu"]
gpu_run = overhead["runs"].get("cuda")
print(f"{'':<24}{'CPU (gloo)':>14}{'GPU (NCCL)':>16}")
for key, label in (("plain_steps_per_s", "steps/s without DDP"), ("ddp_steps_per_s", "steps/s with DDP"),
                   ("median_paired_ratio_ddp_over_plain", "DDP / plain (median)")):
    gpu_value = f"{gpu_run[key]:.3f}" if gpu_run else "not measured"
    print(f"{label:<24}{cpu_run[key]:>14.3f}{gpu_value:>16}")
print(f"CPU column: {cpu_run['device']}; GPU column: {gpu_run['device'] if gpu_run else 'no GPU run recorded yet'}")
print(f"model: {cpu_run['model']}; batch: {cpu_run['batch']}; {cpu_run['rounds']} rounds of "
      f"{cpu_run['steps_per_round']} steps; load average {cpu_run['load_average'][0]} (a shared machine); "
      f"measured {cpu_run['date'][:10]}")

# %%
ratio = cpu_run["median_paired_ratio_ddp_over_plain"]
ise.claim("on the CPU, wrapping the model in DDP (world size 1, gloo) changes the speed by less than 10 %: "
          "its bookkeeping is lost in the noise of a shared machine",
          0.9 <= ratio <= 1.1,
          measured=f"DDP / plain {ratio:.3f} (median of {cpu_run['rounds']} paired rounds; best against best "
                   f"{cpu_run['ratio_ddp_over_plain']:.3f}), {cpu_run['device']}")

# %% [markdown]
# The GPU column is empty: no GPU was available when the benchmark ran. On a GPU a step is much
# shorter, so the same bookkeeping is a larger share of it; run `python benchmarks/ddp_overhead.py`
# where there is one (it then uses CUDA and NCCL and adds its row). With more than one GPU, the
# all-reduce itself costs time too, and how much depends on the link between them (NVLink, PCIe, the
# network between nodes).
#
# ## 4. Scaling down: ONNX, int8, and the real-time line
#
# `imgsynth-edu export` writes a restorer as an **ONNX** file (a graph of standard operators that C++,
# the browser and phones can run without Python) and, with `--int8`, a **statically quantised** copy:
# weights and activations rounded to 8-bit integers, with scales fixed on calibration data
# (`imgsynth_edu/export.py` explains the choices). `benchmarks/export.py` timed the bundled
# `srresnet-x4` on a 256×256 input (a 1024×1024 output) with three engines and scored each on the five
# held-out photographs (Y-PSNR, the SR protocol of lesson 05):

# %%
export_results = benchmark_result("export")
export_run = export_results["runs"]["cpu"]
engines = export_run["engines"]
names = {"pytorch_fp32": "PyTorch fp32", "onnxruntime_fp32": "ONNX Runtime fp32", "onnxruntime_int8": "ONNX Runtime int8"}
print(f"{'engine':<20}{'s / frame':>10}{'frames/s':>10}{'vs PyTorch':>12}{'Y-PSNR (dB)':>13}{'×slower than 30 fps':>21}")
for key, row in engines.items():
    print(f"{names[key]:<20}{row['seconds_per_frame']:>10.2f}{row['frames_per_s']:>10.2f}{row['speed_vs_pytorch']:>11.2f}×"
          f"{row['psnr_y_db']:>13.3f}{row['times_too_slow_for_30_fps']:>20.0f}×")
print(f"measured on {export_run['device']} (ONNX Runtime {export_run['onnxruntime']}, torch {export_run['torch']}), "
      f"{export_run['statistic']}, {export_run['rounds']} rounds, {export_run['date'][:10]}; "
      f"bicubic: {export_run['bicubic_psnr_y_db']:.3f} dB")
print(f"file sizes: fp32 {export_run['export']['bytes'] / 1e3:.0f} kB, int8 {export_run['quantize']['bytes'] / 1e3:.0f} kB")
fig = viz.plot_speed_quality({names[key]: row for key, row in engines.items()}, real_time_fps=30,
                             title=f"srresnet-x4, 256×256 → ×4, on {export_run['device']}")
plt.show()

# %% [markdown]
# The **real-time line** is 30 frames per second, the frame rate of video calls and most screen
# capture. The table says three things, checked below against the file the benchmark wrote.

# %%
pytorch, onnx_fp32, onnx_int8 = engines["pytorch_fp32"], engines["onnxruntime_fp32"], engines["onnxruntime_int8"]
ise.claim("ONNX Runtime fp32 is faster than PyTorch on the benchmark's CPU and gives the same quality (Y-PSNR within 0.001 dB)",
          onnx_fp32["frames_per_s"] > pytorch["frames_per_s"] and abs(onnx_fp32["psnr_y_vs_pytorch_db"]) < 0.001,
          measured=f"{onnx_fp32['speed_vs_pytorch']:.2f}× PyTorch's speed, {onnx_fp32['psnr_y_db']:.3f} dB against "
                   f"{pytorch['psnr_y_db']:.3f} dB")
ise.claim("int8 is the fastest of the three and costs under 0.05 dB, with a file under half the size",
          onnx_int8["frames_per_s"] > onnx_fp32["frames_per_s"] and -0.05 < onnx_int8["psnr_y_vs_pytorch_db"] <= 0
          and export_run["quantize"]["bytes"] < export_run["export"]["bytes"] / 2,
          measured=f"{onnx_int8['frames_per_s']:.2f} frames/s ({onnx_int8['frames_per_s'] / onnx_fp32['frames_per_s']:.2f}× "
                   f"ONNX fp32), {onnx_int8['psnr_y_vs_pytorch_db']:+.3f} dB, {export_run['quantize']['bytes'] / 1e3:.0f} kB "
                   f"against {export_run['export']['bytes'] / 1e3:.0f} kB")
ise.claim("none of them is anywhere near real time on that CPU: even int8 is over 30× too slow for 30 frames/s",
          all(not row["reaches_30_fps"] and row["times_too_slow_for_30_fps"] > 30 for row in engines.values()),
          measured=", ".join(f"{names[key]} {row['times_too_slow_for_30_fps']:.0f}×" for key, row in engines.items()))

# %% [markdown]
# So int8 helps, but not by the factor 30 that real time at this size needs. Most of the time goes to
# the layers that work at the full output resolution (the tail convolution, PReLU, PixelShuffle), and
# those stay in fp32 or gain little from int8. Real time needs a GPU, a smaller model, or a smaller
# output.
#
# **Export it yourself.** `export_onnx` records the model, checks the graph, runs the file with ONNX
# Runtime on a held-out photograph of another size than the example's (the file accepts any size),
# and writes it only if the largest difference from PyTorch is under $10^{-4}$. It needs the `export`
# extra (`pip install 'imgsynth-edu[export]'`, which installs `onnx` and `onnxruntime`); without it
# the cell says so and skips.

# %%
if importlib.util.find_spec("onnx") and importlib.util.find_spec("onnxruntime"):
    from imgsynth_edu.export import export_onnx, quantize_onnx

    srresnet = pretrained.load("srresnet-x4")
    report = export_onnx(srresnet, workdir / "srresnet-x4.onnx", source="srresnet-x4")
    check = report["verification"]
    print(f"wrote srresnet-x4.onnx: {report['bytes'] / 1e3:.0f} kB, opset {report['opset']}; "
          f"ONNX Runtime vs PyTorch on {check['photo']} {tuple(check['input_shape'])}: "
          f"max |difference| {check['max_abs_diff']:.1e}")
    ise.claim("the exported file computes what PyTorch computes, to float rounding (max |difference| under 1e-4)",
              check["max_abs_diff"] <= 1e-4,
              measured=f"max |ONNX Runtime - PyTorch| {check['max_abs_diff']:.1e}, mean {check['mean_abs_diff']:.1e}")
    if not quick:  # the int8 calibration takes about 10 s on a CPU
        int8_report = quantize_onnx(workdir / "srresnet-x4.onnx", workdir / "srresnet-x4-int8.onnx")
        print({key: value for key, value in int8_report.items() if not isinstance(value, (dict, list))})
else:
    print("skipped: onnx and onnxruntime are not installed (pip install 'imgsynth-edu[export]' to run this cell)")

# %% [markdown]
# ## Exercises
#
# DDP's arithmetic, int8 rounding, and the batch of a multi-GPU run.
#
# Each exercise is followed by a check cell: it prints `✓ … correct` when your answer is right, stops with a message that names the mistake when it is not, and says `not attempted yet` while the stub is untouched. A solution is folded under each check.

# %%
from imgsynth_edu.exercises import lesson09

# %% [markdown]
# **Exercise 1 · The all-reduce by hand.** Write `data_parallel_gradient(model, loss_function, inputs, targets, world_size)`: do in one process what
# $N$ = `world_size` ranks do. Rank $r$ takes the items `inputs[r::N]` (and their targets), computes the
# gradient $g_r$ of `loss_function(model(share), share_targets)` (a mean over its items) with respect to
# `list(model.parameters())`, and the all-reduce gives everyone $g = \frac{1}{N}\sum_r g_r$. Return $g$ as a
# list, one tensor per parameter. The check compares it with the gradient of the mean loss on the whole
# batch (`distributed.batch_gradient`), which the lesson showed is the same.
#
# <details><summary>Hint</summary>
#
# `torch.autograd.grad(loss, list(model.parameters()))` returns one gradient per parameter and leaves
# `.grad` alone (with `loss.backward()` you would have to zero `.grad` before each rank). Then
# `[sum(same) / world_size for same in zip(*rank_gradients)]`.
# </details>

# %%
import torch


def data_parallel_gradient(model, loss_function, inputs, targets, world_size):
    """The mean over ranks of each rank's gradient on inputs[rank::world_size]; a list, one tensor per parameter."""
    raise NotImplementedError  # your code here

# %%
lesson09.check_data_parallel_gradient(data_parallel_gradient)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def data_parallel_gradient(model, loss_function, inputs, targets, world_size):
#     rank_gradients = []
#     for rank in range(world_size):  # what each of the N processes computes on its own share
#         share_inputs, share_targets = inputs[rank::world_size], targets[rank::world_size]  # (B/N, ...) each
#         loss = loss_function(model(share_inputs), share_targets)  # the mean over this rank's B/N items
#         rank_gradients.append(torch.autograd.grad(loss, list(model.parameters())))
#     # the all-reduce: sum over ranks, then divide by the number of ranks, parameter by parameter
#     return [sum(same_parameter) / world_size for same_parameter in zip(*rank_gradients)]
# ```
# </details>

# %% [markdown]
# **Exercise 2 · Symmetric int8, one scale per tensor.** Static quantisation fixes a tensor's scale $S$ before deployment, from **calibration** data: symmetric int8
# maps the largest $|x|$ seen in calibration to 127, $S = \max|x_{cal}| / 127$. A value $r$ is then stored as
# $q = \mathrm{clamp}(\mathrm{round}(r/S), -127, 127)$ and read back as $S\,q$ (Jacob et al. 2018, eq. 1 with
# zero point 0). Write `fake_quantize_int8(values, calibration)` that returns $S\,q$ for every value (what an
# ONNX `QuantizeLinear -> DequantizeLinear` pair does). Values beyond the calibrated range saturate.
#
# <details><summary>Hint</summary>
#
# `calibration.abs().max() / 127`, then `torch.round`, then `torch.clamp(..., -127, 127)`, then multiply back.
# </details>

# %%
import torch


def fake_quantize_int8(values, calibration):
    """Round values to the symmetric int8 grid of scale max|calibration| / 127 and back."""
    raise NotImplementedError  # your code here

# %%
lesson09.check_fake_quantize_int8(fake_quantize_int8)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def fake_quantize_int8(values, calibration):
#     scale = calibration.abs().max() / 127  # symmetric: the largest |value| seen in calibration maps to ±127
#     codes = torch.clamp(torch.round(values / scale), -127, 127)  # the int8 grid (values beyond calibration saturate)
#     return codes * scale  # back to real numbers: what the next layer receives
# ```
# </details>

# %% [markdown]
# **Exercise 3 · Four GPUs, the same work per GPU.** A one-GPU run used `imgsynth-edu train srresnet --batch-size 16 --lr 1e-4`. You move it to 4 GPUs with
# `torchrun --nproc_per_node=4 -m imgsynth_edu.cli train srresnet ...`, want every GPU to process 16 patches
# per step as before, and follow the **linear scaling rule** (Goyal et al. 2017: when the batch grows $k$-fold,
# multiply the learning rate by $k$). Which `--batch-size` and `--lr`? Answer as `(batch_size, lr)`.
#
# <details><summary>Hint</summary>
#
# In this library `--batch-size` is the global batch: every rank draws the same `B` indices and keeps
# `indices[rank::N]`. (Goyal et al. also warm the learning rate up over the first steps; with Adam the rule is a
# starting point, not a law.)
# </details>

# %%
global_batch_and_lr = None  # your answer: (batch_size, lr)

# %%
lesson09.check_global_batch_and_lr(global_batch_and_lr)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# global_batch_and_lr = (64, 4e-4)
# ```
# `--batch-size` is split over the ranks, so 16 per GPU on 4 GPUs is a global batch of 64, 4× the one-GPU
# batch; the linear rule multiplies the learning rate by 4. (`--batch-size 16` on 4 GPUs would be 4 patches per GPU:
# the same steps as the one-GPU run, only faster.)
# </details>

# %% [markdown]
# ## Summary
#
# * **DDP** runs one copy of the model per GPU. Every rank draws the same global batch and keeps the
#   items `r, r+N, ...`; the **all-reduce** gives every rank the average of the ranks' gradients, which
#   is the gradient of the whole batch's mean loss, so $N$ processes take the step one process would
#   take (checked above to float rounding, by hand and with two real processes).
# * `torchrun --standalone --nproc_per_node=N -m imgsynth_edu.cli train ...` on one machine;
#   `--nnodes`, `--rdzv_backend=c10d`, `--rdzv_endpoint=HOST:PORT` and `--rdzv_id` on several.
#   `--batch-size` is the global batch; the linear scaling rule raises the learning rate with it.
# * DDP's own bookkeeping on one device was lost in the noise on a CPU; on GPUs, and with several of
#   them, measure it (`benchmarks/ddp_overhead.py`).
# * **ONNX** export runs the same model outside Python, and here faster than PyTorch; **int8**
#   (a per-tensor or per-channel scale, rounding and clamping to −127..127) made it faster still and
#   the file under half the size, for a few hundredths of a dB. Real time at 256×256 → ×4 stayed over
#   30× away on the benchmark's CPU either way.
#
# ## References
#
# * Li et al., *PyTorch Distributed: Experiences on Accelerating Data Parallel Training*, VLDB 2020.
# * Goyal et al., *Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour*, 2017 (the linear scaling rule, warm-up).
# * Sergeev & Del Balso, *Horovod: fast and easy distributed deep learning in TensorFlow*, 2018 (ring all-reduce).
# * Jacob et al., *Quantization and Training of Neural Networks for Efficient Integer-Arithmetic-Only Inference*, CVPR 2018.
# * Krishnamoorthi, *Quantizing deep convolutional networks for efficient inference: A whitepaper*, 2018.
# * The ONNX specification (onnx.ai) and ONNX Runtime's quantisation documentation (onnxruntime.ai).
# * PyTorch documentation: `torchrun` (Elastic Launch) and `DistributedDataParallel`.
