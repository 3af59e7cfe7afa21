"""The forms of secure messages: a new conversation, a reply, and the therapist's response
hours. Text only: there is no file field, so nothing can be attached."""
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.messages.hours import DAY_NAMES

SUBJECT_MAX, BODY_MAX = 120, 5000


class NewThreadForm(FlaskForm):
    subject = StringField("Subject", validators=[
        DataRequired("Please give your message a short subject."),
        Length(max=SUBJECT_MAX, message=f"Please keep the subject under {SUBJECT_MAX} "
                                        "characters.")])
    body = TextAreaField("Message", validators=[
        DataRequired("Please write your message."),
        Length(max=BODY_MAX, message=f"Please keep a message under {BODY_MAX} characters.")])


class ReplyForm(FlaskForm):
    body = TextAreaField("Your reply", validators=[
        DataRequired("Please write your reply."),
        Length(max=BODY_MAX, message=f"Please keep a message under {BODY_MAX} characters.")])


class HoursForm(FlaskForm):
    weekdays = SelectMultipleField(
        "Days you answer messages", coerce=int,
        choices=[(i, name) for i, name in enumerate(DAY_NAMES)],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
        validators=[DataRequired("Please choose at least one day.")])
    starts = TimeField("From", validators=[DataRequired("Please give a time, such as 09:00.")])
    ends = TimeField("Until", validators=[DataRequired("Please give a time, such as 17:00.")])

    def validate_ends(self, field):
        if self.starts.data and field.data and field.data <= self.starts.data:
            raise ValidationError("The end must come after the start.")
