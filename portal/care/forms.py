"""Client forms: the PHQ-9/GAD-7 check-in reuses the intake's measures step."""
from portal.intake.forms import MeasuresForm


class CheckinForm(MeasuresForm):
    pass
