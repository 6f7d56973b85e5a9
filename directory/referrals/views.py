"""Caseworkers' referral pages, plus the share page a client opens without an account.

Every response from this blueprint says `Cache-Control: no-store`; packets are
found by number, and the client reference only ever appears in page bodies.
"""
from __future__ import annotations

from datetime import timezone

from flask import Blueprint, abort, current_app, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from .. import guidance
from ..accounts.permissions import role_required
from ..i18n import LANGUAGE_COOKIE
from ..models import ReferralItem, ReferralPacket, utcnow
from ..redirects import safe_next
from ..search import get_published_listing
from . import service
from .forms import STATUS_LABELS, AddItemForm, ItemForm, PacketForm
from .ics import calendar_for

bp = Blueprint("referrals", __name__, url_prefix="/referrals")


@bp.after_request
def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


@bp.app_template_global("my_referral_packets")
def my_referral_packets():
    """The signed-in caseworker's packets, for 'Add to packet' on search results and listing pages; None for others.

    A template global (not a context value) so the result card macro, imported without context, sees it.
    """
    if not (current_user.is_authenticated and current_user.role == "caseworker" and current_user.is_approved):
        return None
    if "referral_packets" not in g:  # once per page, however many result cards ask
        g.referral_packets = service.packets_for(current_user)
    return g.referral_packets


@bp.app_template_global("this_page_path")
def this_page_path() -> str:
    return request.full_path.rstrip("?") if request.query_string else request.path


@bp.app_template_global("referral_status_label")
def referral_status_label(code: str) -> str:
    return str(STATUS_LABELS.get(code, code))


def _me():
    return current_user._get_current_object()


def _packet_or_404(packet_id: int) -> ReferralPacket:
    """The signed-in caseworker's packet; 404 for anyone else's, so ids reveal nothing."""
    packet = service.owned_packet(packet_id, current_user)
    if packet is None:
        abort(404)
    return packet


def _item_or_404(packet: ReferralPacket, item_id: int) -> ReferralItem:
    item = service.owned_item(packet, item_id)
    if item is None:
        abort(404)
    return item


def _checked_post() -> None:
    """400 unless the POST carries a valid CSRF token (the plain buttons)."""
    if not FlaskForm().validate_on_submit():
        abort(400)


def _client_locale(packet: ReferralPacket) -> str:
    return packet.client_language if packet.client_language in current_app.config["LANGUAGES"] else "en"


# -- dashboard and packets ----------------------------------------------------------------------------

@bp.get("/")
@role_required("caseworker")
def dashboard():
    return render_template("referrals/dashboard.html", packets=service.packets_for(current_user),
                           awaiting=service.awaiting_follow_up(current_user))


@bp.route("/new", methods=["GET", "POST"])
@role_required("caseworker")
def new_packet():
    form = PacketForm()
    back = safe_next(request.values.get("next"), "")
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                packet = service.create_packet(_me(), form.client_reference.data, form.client_language.data,
                                               form.notes.data)
            except service.ReferralError as error:
                form[error.field].errors = [*form[error.field].errors, error.message]
            else:
                flash(_("Packet started. Add listings to it from search results or listing pages."))
                return redirect(back or url_for("referrals.packet", packet_id=packet.id))
        return render_template("referrals/new.html", form=form, back=back), 400
    return render_template("referrals/new.html", form=form, back=back)


def _packet_page(packet: ReferralPacket, forms: dict[int, ItemForm] | None = None, status: int = 200):
    forms = forms or {}
    for item in packet.items:
        forms.setdefault(item.id, ItemForm(prefix=f"item-{item.id}", formdata=None, obj=item))
    return render_template("referrals/packet.html", packet=packet, forms=forms, button_form=FlaskForm(),
                           share_live=service.share_is_live(packet), now=utcnow()), status


@bp.get("/<int:packet_id>")
@role_required("caseworker")
def packet(packet_id: int):
    found = _packet_or_404(packet_id)
    service.record_view(_me(), found)
    return _packet_page(found)


@bp.post("/<int:packet_id>/delete")
@role_required("caseworker")
def delete_packet(packet_id: int):
    found = _packet_or_404(packet_id)
    _checked_post()
    service.delete_packet(_me(), found)
    flash(_("Packet deleted."))
    return redirect(url_for("referrals.dashboard"))


@bp.post("/items")
@role_required("caseworker")
def add_item():
    """The 'Add to packet' button on search results and listing pages: back to the same page after."""
    packets = service.packets_for(current_user)
    form = AddItemForm(packets)
    back = safe_next(form.next.data, url_for("referrals.dashboard"))
    raw_packet = request.form.get("packet_id", "")
    if raw_packet.isdigit() and len(raw_packet) < 11 and service.owned_packet(int(raw_packet), current_user) is None:
        abort(404)
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return render_template("errors/error.html", status=400, title=_("Please check your request"),
                               message=_("Choose one of your packets, then press “Add to packet” again.")), 400
    raw_listing = form.listing_id.data or ""
    listing = get_published_listing(int(raw_listing)) if raw_listing.isdigit() and len(raw_listing) < 11 else None
    if listing is None:
        abort(404)
    target = service.owned_packet(int(form.packet_id.data), current_user)
    try:
        service.add_listing(_me(), target, listing)
    except service.ReferralError as error:
        flash(error.message)
    else:
        flash(_("Added to the packet."))
    return redirect(back, 303)


@bp.post("/<int:packet_id>/items/<int:item_id>")
@role_required("caseworker")
def update_item(packet_id: int, item_id: int):
    found = _packet_or_404(packet_id)
    item = _item_or_404(found, item_id)
    form = ItemForm(prefix=f"item-{item.id}")
    if form.validate_on_submit():
        try:
            service.update_item(_me(), item, form.status.data, form.status_note.data, form.note_for_client.data)
        except service.ReferralError as error:
            form[error.field].errors = [*form[error.field].errors, error.message]
        else:
            flash(_("Saved."))
            return redirect(url_for("referrals.packet", packet_id=found.id, _anchor=f"item-{item.id}"))
    elif "csrf_token" in form.errors:
        abort(400)
    for field in (form.note_for_client, form.status_note):
        if isinstance(field.data, str) and len(field.data) > 2000:
            field.data = field.data[:2000]
    return _packet_page(found, {item.id: form}, 400)


@bp.post("/<int:packet_id>/items/<int:item_id>/remove")
@role_required("caseworker")
def remove_item(packet_id: int, item_id: int):
    found = _packet_or_404(packet_id)
    item = _item_or_404(found, item_id)
    _checked_post()
    service.remove_item(_me(), item)
    flash(_("Removed from the packet."))
    return redirect(url_for("referrals.packet", packet_id=found.id))


# -- hand-off ---------------------------------------------------------------------------------------

def _hand_out(packet: ReferralPacket, template: str, **context):
    """The packet as the client sees it: listings with contact, schedule, how to join and guidance."""
    entries = [(item, guidance.notes_for(item.listing)) for item in packet.items]
    return render_template(template, packet=packet, entries=entries, now_date=utcnow().date(), **context)


@bp.get("/<int:packet_id>/print")
@role_required("caseworker")
def print_view(packet_id: int):
    found = _packet_or_404(packet_id)
    service.record_view(_me(), found, "referral.printed")
    with force_locale(_client_locale(found)):
        return _hand_out(found, "referrals/print.html")


@bp.post("/<int:packet_id>/share")
@role_required("caseworker")
def share(packet_id: int):
    found = _packet_or_404(packet_id)
    _checked_post()
    service.create_share_link(_me(), found)
    flash(_("Share link made. It works for 30 days unless you turn it off."))
    return redirect(url_for("referrals.packet", packet_id=found.id, _anchor="share-heading"))


@bp.post("/<int:packet_id>/share/revoke")
@role_required("caseworker")
def revoke(packet_id: int):
    found = _packet_or_404(packet_id)
    _checked_post()
    service.revoke_share_link(_me(), found)
    flash(_("Share link turned off. It no longer opens the packet."))
    return redirect(url_for("referrals.packet", packet_id=found.id, _anchor="share-heading"))


def _shared_or_error(token: str) -> ReferralPacket:
    """The packet for a live token; 404 for an unknown token, 410 for a revoked or expired one."""
    try:
        found = service.shared_packet(token)
    except service.ShareGone:
        abort(410)
    if found is None:
        abort(404)
    return found


@bp.get("/shared/<token>")
def shared(token: str):
    found = _shared_or_error(token)
    service.record_view(None, found, "referral.share_viewed")
    locale = request.cookies.get(LANGUAGE_COOKIE)
    locale = locale if locale in current_app.config["LANGUAGES"] else _client_locale(found)
    with force_locale(locale):
        return _hand_out(found, "referrals/shared.html", shared_calendar_url=lambda item: url_for(
            "referrals.shared_calendar", token=token, item_id=item.id))


def _calendar_response(item: ReferralItem, filename: str):
    text = calendar_for(item.listing, utcnow().replace(tzinfo=timezone.utc),
                        description=item.note_for_client or "")
    if text is None:
        abort(404)
    response = make_response(text)
    response.mimetype = "text/calendar"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/<int:packet_id>/items/<int:item_id>/meetings.ics")
@role_required("caseworker")
def calendar(packet_id: int, item_id: int):
    item = _item_or_404(_packet_or_404(packet_id), item_id)
    return _calendar_response(item, f"meetings-{item.listing_id}.ics")


@bp.get("/shared/<token>/items/<int:item_id>/meetings.ics")
def shared_calendar(token: str, item_id: int):
    item = _item_or_404(_shared_or_error(token), item_id)
    return _calendar_response(item, f"meetings-{item.listing_id}.ics")
