"""The worker's Celery app: `create_worker_app()` is what `<slug> worker` runs."""

from celery import Celery

from .config import celery_config, create_sqlite_dirs
from .log_format import use_log_format
from .settings import QueueSettings
from .tasks import register_tasks


def create_worker_app(settings: QueueSettings | None = None) -> Celery:
    settings = settings or QueueSettings()
    create_sqlite_dirs(settings)
    use_log_format(settings.log_format)
    app = Celery(__package__, set_as_current=False)
    app.config_from_object(celery_config(settings))
    register_tasks(app, settings)
    return app
