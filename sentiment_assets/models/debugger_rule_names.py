"""The debugger rules' names and what passing each means: the names of the `finetuned_minilm`
asset checks and their descriptions. Apart from debugger_rules.py because that imports torch, and
loading the code location must not."""

LOSS_NOT_DECREASING = "loss_not_decreasing"
OVERFITTING = "overfitting"
VANISHING_GRADIENTS = "vanishing_gradients"
EXPLODING_GRADIENTS = "exploding_gradients"
RULE_NAMES = (LOSS_NOT_DECREASING, OVERFITTING, VANISHING_GRADIENTS, EXPLODING_GRADIENTS)
RULE_DESCRIPTIONS = {
    LOSS_NOT_DECREASING: "The training loss fell from the first steps to the last ones.",
    OVERFITTING: "Validation loss did not keep rising while the training loss fell.",
    VANISHING_GRADIENTS: "Gradients did not vanish, and reached every trainable layer group.",
    EXPLODING_GRADIENTS: "Gradient norms and losses stayed finite and below the threshold.",
}
"""What passing each rule means, e.g. as the description of its asset check."""
