from typing import Annotated

from fastapi import Depends, FastAPI, Request

from app.config import Settings
from app.imagine.backends.factory import BackendInfo, backend_info
from app.imagine.errors import QueueUnavailable
from app.imagine.queue import CeleryJobQueue, JobQueue
from app.kit.redis import answers, configured_redis_url


def job_queue(app: FastAPI) -> JobQueue:
    """The app's job queue, made on first use (tests put their own in its place)."""
    if not hasattr(app.state, "imagine_queue"):
        settings: Settings = app.state.settings
        app.state.imagine_queue = CeleryJobQueue(configured_redis_url(settings))
    queue: JobQueue = app.state.imagine_queue
    return queue


async def get_job_queue(request: Request) -> JobQueue:
    """The job queue for a submission, refused with a 503 before anything is
    written or charged when its broker does not answer."""
    if not await answers(request.app.state.redis):
        raise QueueUnavailable()
    return job_queue(request.app)


def get_backend_info(request: Request) -> BackendInfo | None:
    if not hasattr(request.app.state, "imagine_backend"):
        request.app.state.imagine_backend = backend_info(request.app.state.settings)
    info: BackendInfo | None = request.app.state.imagine_backend
    return info


JobQueueDep = Annotated[JobQueue, Depends(get_job_queue)]
BackendInfoDep = Annotated[BackendInfo | None, Depends(get_backend_info)]
