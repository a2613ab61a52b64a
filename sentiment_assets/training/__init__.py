"""Who the model learns from, how a training run is named, and the out-of-process fine-tune job."""
