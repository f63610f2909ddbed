"""Chapter 8 demos: the character language model of the project, trained at build time.

The model is the reference's `autograder.reference.char_lm` (an RNN over one-hot
characters, trained with truncated BPTT, clipping by global norm at 1 and Adam), trained
for a few hundred steps on sentences from a tiny random grammar. Checkpoints are kept for the demos.

- `temperature_demo`: slider temperature; the next-character distribution after a
  prompt and a sample drawn at that temperature.
- `training_demo`: slider training step; the loss curve so far, held-out perplexity and
  what the model writes at that point of its training.
"""

from __future__ import annotations

import html
from functools import lru_cache

import ipywidgets as widgets
import numpy as np

from autograder.reference import (
    build_vocabulary,
    char_lm_perplexity,
    char_lm_train_step,
    char_lm_windows,
    decode,
    encode,
    init_rnn_parameters,
    one_hot,
    rnn_forward,
    sample,
    softmax,
)

from .canvas import BlitFigure
from .widget import Demo

SUBJECTS = ("the cat", "the dog", "a bird", "the boy", "a girl", "the old man")
VERBS = ("sat", "ran", "slept", "sang", "looked", "waited", "played")
PLACES = ("on the mat", "by the tree", "in the garden", "under the table", "near the river",
          "at the door", "on the wall")
ENDINGS = (".", " all day.", " in the sun.", " again.", ", and then went home.")


def make_text(sentences: int, seed: int) -> str:
    """Random sentences from a tiny grammar: words and grammar are learnable, order not."""
    rng = np.random.default_rng(seed)
    pick = lambda options: options[rng.integers(len(options))]  # noqa: E731
    return " ".join(f"{pick(SUBJECTS)} {pick(VERBS)} {pick(PLACES)}{pick(ENDINGS)}"
                    for _ in range(sentences)) + " "


TEXT = make_text(150, seed=0)
HELD_OUT = make_text(10, seed=1)
CHECKPOINTS = (0, 25, 50, 100, 200, 300, 400, 500)
N_A = 48
PROMPTS = ("the cat ", "the dog ran ", "a girl sang ")


@lru_cache(maxsize=1)
def trained_model() -> dict:
    """Train on TEXT; {vocabulary, checkpoints {step: parameters}, losses}."""
    vocabulary = build_vocabulary(TEXT + HELD_OUT)
    ids = encode(TEXT, vocabulary)
    parameters = init_rnn_parameters(len(vocabulary), N_A, len(vocabulary), rng=0)
    checkpoints, losses, state = {0: parameters}, [], None
    while len(losses) < CHECKPOINTS[-1]:
        a_prev = None
        for inputs, targets in char_lm_windows(ids, seq_length=25, batch_size=8):
            if len(losses) == CHECKPOINTS[-1]:
                break
            if inputs.shape[1] < 25:  # a short last window would restart the state anyway
                continue
            parameters, state, loss, a_prev = char_lm_train_step(
                parameters, inputs, targets, a_prev, state, optimizer="adam",
                learning_rate=0.01, max_norm=1.0)
            losses.append(loss)
            if len(losses) in CHECKPOINTS:
                checkpoints[len(losses)] = parameters
    return {"vocabulary": vocabulary, "checkpoints": checkpoints, "losses": np.array(losses)}


def next_char_distribution(parameters: dict, prompt_ids: np.ndarray, temperature: float
                           ) -> np.ndarray:
    """softmax(logits / temperature) for the character after the prompt (argmax at 0)."""
    V = parameters["Wya"].shape[0]
    a, _, _ = rnn_forward(one_hot(prompt_ids[None, :], V), np.zeros((N_A, 1)), parameters)
    logits = (parameters["Wya"] @ a[:, :, -1] + parameters["by"])[:, 0]
    if temperature == 0:
        p = np.zeros(V)
        p[int(np.argmax(logits))] = 1.0
        return p
    return softmax(logits[:, None] / temperature)[:, 0]


def temperature_sample(temperature: float, prompt: str = PROMPTS[0], seed: int = 0) -> dict:
    """Next-character distribution and a 100-character sample at `temperature`."""
    if temperature < 0:
        raise ValueError(f"temperature_sample: temperature must be >= 0, got {temperature}")
    model = trained_model()
    vocabulary = model["vocabulary"]
    parameters = model["checkpoints"][CHECKPOINTS[-1]]
    ids = encode(prompt, vocabulary)
    p = next_char_distribution(parameters, ids, temperature)
    text = decode(sample(parameters, ids, 100, temperature=temperature, rng=seed), vocabulary)
    entropy = float(-np.sum(p[p > 0] * np.log(p[p > 0])))
    return {"temperature": temperature, "prompt": prompt, "p": p, "sample": text,
            "entropy": entropy, "vocabulary": vocabulary}


def _label(c: str) -> str:
    return {" ": "␣", "\n": "⏎"}.get(c, c)


def temperature_demo() -> Demo:
    """Slider temperature: sharper or flatter next-character distribution, and a sample."""
    controls = {
        "temperature": widgets.SelectionSlider(options=(0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0),
                                               value=0.75, description="temperature"),
        "prompt": widgets.Dropdown(options=PROMPTS, value=PROMPTS[0], description="prompt"),
        "seed": widgets.IntSlider(value=0, min=0, max=9, description="sample seed"),
    }
    vocabulary = trained_model()["vocabulary"]
    V = len(vocabulary)
    fig = BlitFigure((6.4, 2.6))
    ax = fig.fig.subplots()
    bars = ax.bar(range(V), np.zeros(V), color="C0")
    ax.set_xticks(range(V), [_label(c) for c in vocabulary], fontsize=8)
    ax.set_xlim(-0.7, V - 0.3)
    ax.set_ylim(0, 1)
    ax.set_ylabel("P(next character)", fontsize=8)
    ax.set_title("the next character after the prompt", fontsize=9)
    fig.fig.tight_layout()
    fig.animate(*bars)

    def draw(r: dict) -> None:
        for bar, p in zip(bars, r["p"], strict=True):
            bar.set_height(p)

    def describe(r: dict) -> str:
        return (f"Temperature {r['temperature']:g}: the distribution after "
                f"<code>{html.escape(r['prompt'])}</code> has entropy {r['entropy']:.2f} nats.<br>"
                f"<b>Sample</b>: "
                f"<code>{html.escape(r['prompt'])}<b>{html.escape(r['sample'])}</b></code><br>"
                "Low temperature: the likeliest character every time (repetitive); high: "
                "closer to uniform (misspelt, random).")

    return Demo(title="Sampling temperature", controls=controls, main="temperature",
                compute=temperature_sample, draw=draw, figure=fig, describe=describe)


def training_progress(step: int, seed: int = 0) -> dict:
    """Loss curve up to `step`, held-out perplexity and a sample from that checkpoint."""
    model = trained_model()
    if step not in model["checkpoints"]:
        raise ValueError(f"training_progress: step must be one of {CHECKPOINTS}, got {step}")
    parameters = model["checkpoints"][step]
    vocabulary = model["vocabulary"]
    prompt = encode(PROMPTS[0], vocabulary)
    text = decode(sample(parameters, prompt, 80, temperature=0.5, rng=seed), vocabulary)
    return {"step": step, "losses": model["losses"][:step],
            "perplexity": char_lm_perplexity(parameters, encode(HELD_OUT, vocabulary)),
            "sample": text, "V": len(vocabulary)}


def training_demo() -> Demo:
    """Slider training step: the loss so far and what the model writes at that point."""
    controls = {
        "step": widgets.SelectionSlider(options=CHECKPOINTS, value=CHECKPOINTS[-1],
                                        description="training step"),
        "seed": widgets.IntSlider(value=0, min=0, max=9, description="sample seed"),
    }
    fig = BlitFigure((6.4, 2.6))
    ax = fig.fig.subplots()
    ax.set_xlim(0, CHECKPOINTS[-1])
    ax.set_ylim(0, 4)
    ax.set_xlabel("training step", fontsize=8)
    ax.set_ylabel("cross-entropy (nats / char)", fontsize=8)
    (curve,) = ax.plot([], [], color="C0", lw=1)
    fig.fig.tight_layout()
    fig.animate(curve)

    def draw(r: dict) -> None:
        curve.set_data(np.arange(1, len(r["losses"]) + 1), r["losses"])

    def describe(r: dict) -> str:
        return (f"After {r['step']} steps: held-out perplexity {r['perplexity']:.1f} "
                f"(an untrained model: about {r['V']}, the number of characters).<br>"
                f"Sample at temperature 0.5: <code>{html.escape(PROMPTS[0])}"
                f"<b>{html.escape(r['sample'])}</b></code>")

    return Demo(title="Watching the model learn", controls=controls, main="step",
                compute=training_progress, draw=draw, figure=fig, describe=describe)
