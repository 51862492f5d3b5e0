from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm

from .models import TIME_ZONE_CHOICES, Learner


class SignupForm(UserCreationForm):
    email = forms.EmailField(help_text="Used only for password resets and your weekly progress email.")
    display_name = forms.CharField(
        max_length=60, label="Your name", help_text="Shown on your learner profile."
    )
    time_zone = forms.ChoiceField(
        choices=TIME_ZONE_CHOICES, initial="UTC", help_text="Streaks count your days."
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")


GOAL_MESSAGE = "Choose a goal between 10 and 500 XP a day."


class LearnerForm(forms.ModelForm):
    # The same bounds and message for every out-of-range value (-5, 0 or 9000).
    daily_xp_goal = forms.IntegerField(
        label="Daily XP goal",
        min_value=10,
        max_value=500,
        initial=50,
        error_messages={"min_value": GOAL_MESSAGE, "max_value": GOAL_MESSAGE},
    )

    class Meta:
        model = Learner
        fields = ("display_name", "time_zone", "daily_xp_goal", "training_consent")
        labels = {
            "display_name": "Name",
            "training_consent": "Let SignLearn use my sign landmarks (never video) to improve recognition",
        }
        help_texts = {"training_consent": "Off by default. You can turn it off again at any time."}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_display_name(self):
        name = self.cleaned_data["display_name"].strip()
        others = Learner.objects.filter(user=self.user, display_name=name)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError("You already have a profile with this name.")
        return name
