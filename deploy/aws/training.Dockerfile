# The training image: all a Kubernetes GPU pod needs to fine-tune, i.e. to run
#
#   torchrun --standalone --nnodes 1 --nproc_per_node <gpus> -m sentiment_assets.training.transformer_job ...
#
# (resources/remote_training.py builds that pod for dagster_k8s.PipesK8sClient). There is no
# ENTRYPOINT or CMD to override: the pod spec's command is what runs. Inputs, outputs and
# checkpoints are s3:// locations, and AWS access comes from the pod's service account.
#
# Build from the repository root and push to ECR (bash; replace the region):
#
#   REGION=eu-west-1
#   ACCOUNT=$(aws sts get-caller-identity --query Account --output text)
#   REGISTRY=$ACCOUNT.dkr.ecr.$REGION.amazonaws.com
#   aws ecr create-repository --repository-name sentiment-training --region $REGION   # once
#   aws ecr get-login-password --region $REGION | docker login --username AWS --password-stdin $REGISTRY
#   TAG=$(git rev-parse --short HEAD)   # a unique tag per build: retried pods run the same code
#   docker build --platform linux/amd64 -f deploy/aws/training.Dockerfile -t $REGISTRY/sentiment-training:$TAG .
#   docker push $REGISTRY/sentiment-training:$TAG
#   export SENTIMENT_TRAINING_IMAGE=$REGISTRY/sentiment-training:$TAG   # read by RemoteTrainingResource
#
# CUDA: PyTorch's CUDA wheels bring their own CUDA runtime, cuDNN and NCCL (as nvidia-* pip
# packages), so a slim Python base is enough; the GPU node provides only the driver (the EKS GPU
# AMIs and the NVIDIA device plugin do). Pick TORCH_CUDA to suit the nodes' driver.

FROM python:3.11-slim

ARG TORCH_VERSION=2.13.0
ARG TORCH_CUDA=cu128

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    DAGSTER_DISABLE_TELEMETRY=true \
    MLFLOW_DISABLE_TELEMETRY=true \
    DO_NOT_TRACK=1

WORKDIR /opt/sentiment

# constraints.txt pins every package (the lock), but its torch is the CPU build: install the CUDA
# build of the same version first, then everything else under the remaining pins. torch==X
# accepts X+cuNNN, so pip keeps the CUDA build. A layer of its own: it is most of the image.
COPY constraints.txt ./
RUN grep -v '^torch==' constraints.txt > constraints-cuda.txt \
 && pip install --index-url "https://download.pytorch.org/whl/${TORCH_CUDA}" "torch==${TORCH_VERSION}"

COPY pyproject.toml README.md ./
COPY sentiment_assets ./sentiment_assets
COPY resources ./resources
RUN pip install -c constraints-cuda.txt . \
 && python -c "import torch, sentiment_assets.training.transformer_job; assert torch.version.cuda, 'a CPU torch'"

# Not root: the pod needs no privileges, only its GPUs and the network.
RUN useradd --create-home --uid 1000 trainer
USER trainer
