"""At the sweep's end, every node's scratch folders go: a trial clears its own when it ends, but a process that
was killed (a driver's Ctrl-C, a lost node) leaves its copy behind, and its retry may have run elsewhere."""

from __future__ import annotations


def clear_every_node_scratch(state_name: str) -> None:
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    from trainables.scratch import clear_sweep_scratch

    clear = ray.remote(num_cpus=0)(clear_sweep_scratch)
    pending = [clear.options(scheduling_strategy=NodeAffinitySchedulingStrategy(node["NodeID"], soft=False)).remote(state_name)
               for node in ray.nodes() if node.get("Alive")]
    ray.get(pending, timeout=120)
