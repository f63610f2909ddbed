"""Scheduler preload for the cluster tests: appends every task the scheduler receives,
pickled again, to the file named by $RNN_TEST_TASK_LOG, so that a test can look for
secrets in what crossed the network."""

from __future__ import annotations

import os
import pickle

from distributed.diagnostics.plugin import SchedulerPlugin


class TaskRecorder(SchedulerPlugin):
    def update_graph(self, scheduler, *, keys, **kwargs) -> None:
        with open(os.environ["RNN_TEST_TASK_LOG"], "ab") as log:
            for key in keys:
                task = scheduler.tasks.get(key)
                if task is not None and task.run_spec is not None:
                    log.write(pickle.dumps(task.run_spec))


def dask_setup(scheduler) -> None:
    scheduler.add_plugin(TaskRecorder())
