"""Read models of the client's scores page: their own charts (the same text alternative as the
therapist's, without the dosing marks), response and remission, and the check-ins waiting."""
from sqlalchemy import select

from portal.core import chart
from portal.core.time import viewer_zone
from portal.extensions import db
from portal.models.measure import MeasureResult


def results_of(client):
    return db.session.scalars(select(MeasureResult).where(MeasureResult.client_id == client.id)
                              .order_by(MeasureResult.taken_at, MeasureResult.id)).all()


def my_scores(client, waiting=()):
    """The page's data: a series per instrument with scores (PHQ-9 and GAD-7 always)."""
    return {"series": chart.build_series(results_of(client), tz=viewer_zone(), id_prefix="mine"),
            "waiting": list(waiting)}
