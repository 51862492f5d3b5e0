import pytest

from lessons.models import sign_label


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("hello", "Hello"),
        ("TV", "TV"),
        ("hesheit", "He / she / it"),
        ("icecream", "Ice cream"),
        ("thankyou", "Thank you"),
    ],
)
def test_sign_names_read_as_words(name, label):
    assert sign_label(name) == label
