from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import views

app_name = "accounts"
urlpatterns = [
    path("masuk/", views.LoginView.as_view(), name="login"),
    path("keluar/", views.LogoutView.as_view(), name="logout"),
    path("saya/", views.MeView.as_view(), name="me"),
    path("kata-sandi/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "lupa-kata-sandi/",
        auth_views.PasswordResetView.as_view(
            template_name="accounts/password_reset_form.html",
            email_template_name="accounts/password_reset_email.txt",
            subject_template_name="accounts/password_reset_subject.txt",
            success_url=reverse_lazy("accounts:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "lupa-kata-sandi/terkirim/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "atur-ulang/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "atur-ulang/selesai/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("verifikasi/", views.TwoFactorVerifyView.as_view(), name="two_factor_verify"),
    path("verifikasi/aktifkan/", views.TwoFactorSetupView.as_view(), name="two_factor_setup"),
    path("pengguna/", views.UserListView.as_view(), name="user_list"),
    path("pengguna/baru/", views.UserCreateView.as_view(), name="user_create"),
    path("pengguna/<uuid:pk>/", views.UserDetailView.as_view(), name="user_detail"),
    path("pengguna/<uuid:pk>/ubah/", views.UserUpdateView.as_view(), name="user_update"),
    path("pengguna/<uuid:pk>/status/", views.UserSetActiveView.as_view(), name="user_set_active"),
    path(
        "pengguna/<uuid:pk>/reset-sandi/",
        views.UserResetPasswordView.as_view(),
        name="user_reset_password",
    ),
    path(
        "pengguna/<uuid:pk>/reset-2fa/",
        views.UserResetTwoFactorView.as_view(),
        name="user_reset_two_factor",
    ),
    path(
        "pengguna/<uuid:pk>/peran/", views.AssignmentCreateView.as_view(), name="assignment_create"
    ),
    path("peran/<uuid:pk>/akhiri/", views.AssignmentEndView.as_view(), name="assignment_end"),
]
