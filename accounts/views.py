from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from .deletion import account_delete, learner_delete, learners_stored_data
from .forms import LearnerForm, SignupForm
from .lockout import login_lockout
from .models import Learner
from .services import learner_create, learner_select, learner_update, user_signup


class LoginView(auth_views.LoginView):
    """Django's log-in page, saying why a locked log-in is refused (the backend counts and enforces)."""

    def post(self, request, *args, **kwargs):
        lockout = login_lockout(username=self._username(), address=request.META.get("REMOTE_ADDR", ""))
        if lockout is None:
            return super().post(request, *args, **kwargs)
        # An unbound form: validating it would check the password, which is exactly what is paused.
        form = self.get_form_class()(request=request, initial={"username": self._username()})
        return self.render_to_response(self.get_context_data(form=form, lockout=lockout), status=429)

    def _username(self) -> str:
        return self.request.POST.get("username", "")[:150]


def signup(request):
    if request.user.is_authenticated:
        return redirect("course-map")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        learner = user_signup(
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            display_name=form.cleaned_data["display_name"],
            time_zone=form.cleaned_data["time_zone"],
        )
        login(request, learner.user, backend="accounts.backends.LockoutModelBackend")
        messages.success(request, f"Welcome, {learner.display_name}! Your first lesson is ready.")
        return redirect("course-map")
    return render(request, "registration/signup.html", {"form": form})


@login_required
def profiles(request):
    form = LearnerForm(
        request.POST or None, user=request.user, initial={"time_zone": "UTC", "daily_xp_goal": 50}
    )
    if request.method == "POST" and form.is_valid():
        learner = learner_create(
            user=request.user,
            display_name=form.cleaned_data["display_name"],
            time_zone=form.cleaned_data["time_zone"],
            select=True,
        )
        learner_update(
            learner=learner,
            **{
                k: form.cleaned_data[k]
                for k in ("display_name", "time_zone", "daily_xp_goal", "training_consent")
            },
        )
        messages.success(request, f"Profile {learner.display_name} added and selected.")
        return redirect("profiles")
    return render(request, "accounts/profiles.html", {"form": form, "profiles": request.user.learners.all()})


@login_required
def profile_edit(request, learner_id: int):
    learner = get_object_or_404(Learner, pk=learner_id, user=request.user)
    form = LearnerForm(request.POST or None, instance=learner, user=request.user)
    if request.method == "POST" and form.is_valid():
        learner_update(learner=learner, **form.cleaned_data)
        messages.success(request, "Profile saved.")
        return redirect("profiles")
    return render(request, "accounts/profile_edit.html", {"form": form, "learner": learner})


@login_required
@require_POST
def profile_switch(request, learner_id: int):
    learner = get_object_or_404(Learner, pk=learner_id, user=request.user)
    learner_select(learner=learner)
    messages.info(request, f"Now learning as {learner.display_name}.")
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(next_url)
    return redirect("course-map")


# --- Data rights: deleting a profile or the account (accounts.deletion) ---------------------------
@login_required
def profile_delete(request, learner_id: int):
    learner = get_object_or_404(Learner, pk=learner_id, user=request.user)
    n_profiles = request.user.learners.count()
    if request.method == "POST":
        if n_profiles <= 1:
            messages.error(request, "This is the account's only profile: delete the account instead.")
            return redirect("account-delete")
        if request.POST.get("confirm") != learner.display_name:
            messages.error(request, "Type the profile name exactly to confirm.")
            return redirect("profile-delete", learner_id=learner.pk)
        report = learner_delete(learner=learner)
        messages.success(
            request,
            f"Deleted {report.learners} profile with {report.attempts} attempts and {report.files} stored files.",
        )
        return redirect("profiles")
    n_attempts = learners_stored_data(learners=Learner.objects.filter(pk=learner.pk)).attempts
    return render(
        request,
        "accounts/profile_delete.html",
        {"learner": learner, "n_attempts": n_attempts, "only_profile": n_profiles <= 1},
    )


@login_required
def account_delete_view(request):
    if request.method == "POST":
        if not request.user.check_password(request.POST.get("password", "")):
            messages.error(request, "That password is not right.")
            return redirect("account-delete")
        user = request.user
        logout(request)
        report = account_delete(user=user)
        messages.success(
            request,
            f"Your account, {report.learners} profile(s), {report.attempts} attempts and "
            f"{report.files} stored files were deleted.",
        )
        return redirect("home")
    learners = list(request.user.learners.all())
    n_attempts = learners_stored_data(learners=request.user.learners.all()).attempts
    return render(request, "accounts/account_delete.html", {"learners": learners, "n_attempts": n_attempts})
