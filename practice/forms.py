from django import forms


class AttemptUploadForm(forms.Form):
    """A practice clip from the recorder or a file; the service does the real (decoding) checks."""

    video = forms.FileField(
        label="Video file",
        help_text="MP4, WebM or MOV, 0.5–15 seconds, up to 50 MB.",
        error_messages={
            "required": "Choose a video file to upload.",
            "empty": "The file is empty: choose a video.",
        },
    )
    is_review = forms.BooleanField(required=False, widget=forms.HiddenInput)
