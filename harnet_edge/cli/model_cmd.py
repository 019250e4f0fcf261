"""``harnet-edge model``: inspect a checkpoint (ours or a published ssl-wearables file)."""
from __future__ import annotations

import json
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("model", help="inspect a HARNet checkpoint (ours or published .mdl)")
    p.add_argument("checkpoint", type=Path)
    p.add_argument("--variant", choices=["harnet5", "harnet10", "harnet30"],
                   help="expected variant (default: inferred from the file)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..models.checkpoints import load_checkpoint, load_published_backbone
    from ..models.cost import count_parameters

    if args.checkpoint.suffix in (".mdl", ".pt", ".pth"):
        model = load_published_backbone(args.checkpoint, variant=args.variant)
        meta = {"variant": model.variant, "source": "ssl-wearables published layout"}
    else:
        model, meta = load_checkpoint(args.checkpoint)
        if args.variant and model.variant != args.variant:
            from ..models.checkpoints import CheckpointError
            raise CheckpointError(f"{args.checkpoint.name} holds {model.variant}, not {args.variant}")
    meta["backbone_parameters"] = count_parameters(model.feature_extractor)
    meta["feature_dim"] = model.feature_dim
    print(json.dumps(meta, indent=2))
    return 0
