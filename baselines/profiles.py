"""Profiles: how big the models are and how long they train.

A profile maps each architecture to its parameters and gives the training
settings. Only what a profile *resolves to* enters a model's cache key, never
the profile's name, so two profiles that agree share their models.

- ``smoke``: tiny networks, at most 12 epochs, a 300-sequence gkm-SVM with
  l=8, k=5: seconds each on the smoke task.
- ``default``: CPU-sized networks (5-40% of the published widths)
  and a gkm-SVM on a 1,000-sequence subsample with the Nyström solver: every
  default model for the three default tasks trains in a few minutes on 2 cores.
- ``paper``: published widths (``scale=1``), long training, an exact gkm-SVM
  on the whole training split: for a GPU or many cores.

gkm-SVM sizing (default profile): gkmsvm-lite's kernel costs O(N x m) for
the Nyström solver with m landmarks, and scoring costs O(N x support vectors);
most training sequences end up support vectors on these tasks. On
this 2-core machine an exact fit on 2,000 x 200 bp took 100-140 s and scoring
500 sequences 30-40 s, too slow for a grid of three tasks (scoring now goes
through an l-mer weight table, `baselines.gkm_table`: 300 sequences in under
1 s on a default model, against about 11 s through gkmsvm-lite). The default fits
on a class-balanced, seeded subsample of 1,000 training sequences with the
Nyström solver and m = 300 landmarks (the package default would be 1,000,
i.e. no saving at this N), and measures fidelity on a class-balanced
300-sequence test subsample (standard error of the auROC about 0.015). The
same subsample size keeps GkmExplain and ISM affordable downstream, since
their cost grows with the number of support vectors. Timings:
``motifbench bench models``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tasks.registry import Registry
from baselines.model import FIDELITY_GATE

PROFILES = Registry("profile")

#: Training settings every Keras profile defines (get_model overrides may change them).
TRAINING_KEYS = (
    "epochs",
    "batch_size",
    "patience",
    "min_epochs",
    "min_epoch_samples",
    "plateau_fraction",
    "monitor",
    "learning_rate",
    "warmup_steps",
    "lr_patience",
    "lr_factor",
    "val_fraction",
    "neg_pos_ratio",
    "rc_augment",
    "shift_augment",
)


@dataclass(frozen=True)
class Profile:
    """Architecture parameters and training settings of one profile.

    Attributes
    ----------
    name: profile name.
    description: one line for `motifbench models list`.
    arch_params: architecture name -> parameters overriding the builder defaults
        (for "gkmsvm": its settings, see `baselines.architectures`).
    training: Keras training settings (keys in `TRAINING_KEYS`).
    """

    name: str
    description: str
    arch_params: dict = field(default_factory=dict)
    training: dict = field(default_factory=dict)

    def params_for(self, arch: str) -> dict:
        """This profile's parameters for `arch` (empty dict if it sets none)."""
        return dict(self.arch_params.get(arch, {}))


def get_profile(name: str) -> Profile:
    """The profile called `name`; KeyError lists the valid ones."""
    return PROFILES[name]


PROFILES.add(
    "smoke",
    Profile(
        name="smoke",
        description="tiny models, a few epochs: the harness end to end in seconds",
        arch_params={
            "basset": {"scale": 0.04},
            "beluga": {"scale": 0.025},
            "shallow": {"scale": 0.125, "n_conv": 2},
            "gkmsvm": {"l": 8, "k": 5, "d": 2, "n_components": 100, "max_train": 300, "max_test": 200},
        },
        training={
            "epochs": 12,
            "batch_size": 32,
            "patience": 2,
            "min_epochs": 4,
            "min_epoch_samples": 0,
            "plateau_fraction": 0.0,
            "monitor": "val_loss",
            "learning_rate": 3e-3,
            "warmup_steps": 0,
            "lr_patience": 0,
            "lr_factor": 0.5,
            "val_fraction": 0.15,
            "neg_pos_ratio": 3.0,
            "rc_augment": True,
            "shift_augment": 0,
        },
    ),
)

PROFILES.add(
    "default",
    Profile(
        name="default",
        description="CPU-sized models for the embedded tasks (the README's main job)",
        arch_params={
            "basset": {"scale": 0.1},
            "beluga": {"scale": 0.05},
            "shallow": {"scale": 0.375},
            "gkmsvm": {"n_components": 300, "max_train": 1000, "max_test": 300},
        },
        # The training recipe (`baselines.train` says what each setting does and why;
        # `baselines.warmstart` why every run starts from a warm-started first stage). It is
        # sized so that the CNNs learn small (hundreds of positives) and 400 bp tasks, which
        # a plain 20-epoch run with patience 3 on val_loss did not.
        training={
            "epochs": 32,
            "batch_size": 64,
            "patience": 4,
            "min_epochs": 4,
            "min_epoch_samples": 4096,
            "plateau_fraction": 0.95,
            "monitor": "val_auroc",
            "learning_rate": 1e-3,
            "warmup_steps": 200,
            "lr_patience": 2,
            "lr_factor": 0.5,
            "val_fraction": 0.1,
            "neg_pos_ratio": 3.0,
            "rc_augment": True,
            "shift_augment": 10,
            "restarts": 2,
            "restart_below": FIDELITY_GATE,
            "first_stage_epochs": 32,
        },
    ),
)

PROFILES.add(
    "paper",
    Profile(
        name="paper",
        description="published widths, long training, exact gkm-SVM: for a GPU or many cores",
        arch_params={
            "basset": {"scale": 1.0},
            "beluga": {"scale": 1.0},
            "shallow": {"scale": 1.0},
            "gkmsvm": {"solver": "auto", "n_components": None, "max_train": None, "max_test": None},
        },
        # the published setting: Adam 1e-3, early stopping on validation loss, a 3:1 cap on
        # negatives per positive, reverse-complement augmentation; no decay, no shift
        training={
            "epochs": 100,
            "batch_size": 128,
            "patience": 10,
            "min_epochs": 20,
            "min_epoch_samples": 0,
            "plateau_fraction": 0.0,
            "monitor": "val_loss",
            "learning_rate": 1e-3,
            "warmup_steps": 0,
            "lr_patience": 0,
            "lr_factor": 0.5,
            "val_fraction": 0.1,
            "neg_pos_ratio": 3.0,
            "rc_augment": True,
            "shift_augment": 0,
        },
    ),
)
