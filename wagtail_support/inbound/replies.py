"""The new part of an inbound mail: what the person wrote, without the history they replied to.

A reply by mail becomes a ticket message, which is plain text. ``reply_text`` is what the inbound handler
calls; it takes the ESP's own stripped text when there is one, else the plain text part
(``extract_reply``), else the HTML part (``extract_reply_html``). The rules are measured on the corpus of
``tests/reply_corpus/`` (``make mailbench``); the word tables below are per language.

Rules for plain text (``extract_reply``), applied from the top; the first line that matches ends the reply:

- the reply marker, the first line of every mail we send (``##-`` ... ``-##``, whatever the language);
- a quote header, over one to three lines (mail programs wrap it), holding a time, a year or an address:
  one that says "wrote" in a language of ``_WROTE_WORDS`` (``On <date>, <name> wrote:``, ``Le ... a écrit
  :``, ``Am ... schrieb ...:``, ``Il giorno ... ha scritto:``, ``Op ... schreef ...:``, ``... napisał(a):``,
  ``Den ... skrev ...:``, ``... kirjoitti:``, ``... написал(а):``, ``... 写道：``, ``...님이 작성:``...), or one
  that ends with the sender's address and a colon (``2017-11-24 16:32 GMT+01:00 Name <a@b>:``, Gmail in
  Russian or Japanese, Yandex, mail.ru). One that opens with its language's word (``On``, ``Le``, ``Am``,
  ``El``...), holds a time or an address and ends with its verb and a colon is enough by itself, unless it
  has no address and more text follows on the next line (the sender's own "On Monday at 9:00 Bob wrote:");
  any other ("wrote" without a colon, the date or the name first) must be followed by ``>`` lines and must
  not start with a sentence. Zoho's ``---- On ... wrote ----`` and Notes' ``-----Name <a@b> wrote: -----``
  count too. A reply and a header on one line (``Thanks! On ... wrote:`` above ``>`` lines) are split: the
  words before the header are kept;
- an "original message" line between dashes in a language of ``_ORIGINAL_TITLES`` (``-----Original
  Message-----``, ``-------- Message d'origine --------``, ``---- Replied Message ----``...), or any title
  between dashes followed by a header field line;
- a header block: a ``From:`` or a ``Sent:``/``Date:`` line (in a language of ``_FIELD_NAMES``: ``De :``,
  ``Von:``, ``Van:``, ``Fra:``, ``От:``, ``差出人:``; ``Gesendet:`` first, as GMX writes it) with, within the
  next six lines, a ``To:``, a ``Subject:`` and a dated ``Sent:``/``Date:`` line (or an address): mail
  programs always write them all, headers the sender pasted seldom do; a ``____`` line
  followed by a header field line or a mailing list's footer; Orange's ``Message du <date>`` above ``De :``;
- ``Begin forwarded message:``, ``---------- Forwarded message ---------`` (and their forms in other
  languages), but only below some text of the sender's own: a mail that is nothing but a forward keeps the
  forwarded mail whole, as the agent needs it;
- a signature delimiter, ``-- `` (or a bare ``--``); a mailing list's footer (Mailman, Google Groups);
- a phone footer ("Sent from my iPhone", "Von meinem iPhone gesendet", "iPhoneから送信", "Get Outlook for
  iOS<https://aka.ms/o0ukef>"...) below text of the sender's own, followed after a blank line by more text
  and by no ``>`` line at all: that text is history that came without a header.

Lines quoted with ``>`` are never cut points themselves. A quote header (or a quoted reply marker, or the
mail's first line) followed by a ``>`` block and then by more of the sender's text is an answer written
between the quoted lines: it is kept, quotes and all; only the quoted marker line (and blank quoted lines
below it) is dropped. When that block is a whole mail (it holds a quoted signature ``> --``, a nested
``>>`` quote, or more than ``_WHOLE_QUOTE`` lines) and no other quote is answered below, the sender wrote
under the history (bottom-posting): the header and the block are dropped, the answer kept. Then, from the
end, blocks of ``>`` lines and phone footers are taken off. Line ends become ``\\n``, trailing spaces go,
runs of blank lines become one, blank ``>`` lines at the edges of a kept quote go. When nothing is left, the
whole text (so tidied) is returned instead: better an agent reads too much than a reply is lost.

HTML (``extract_reply_html``) first loses what the mail programs mark as history: Outlook's
``div#appendonsend``, ``div#divRplyFwdMsg`` (with the ``x_`` prefix of a quoted one too),
``div#mail-editor-reference-message-container``, a ``div`` with a solid top border (Outlook, Windows Mail)
whose text starts with a header field or an "original message" line, old Hotmail's ``hr#stopSpelling``,
Zimbra's ``hr#zwchr``, and the reply marker (outside a ``blockquote``), each with everything after it;
Gmail's, Thunderbird's and Proton's signatures, Yahoo's quote (``yahoo_quoted``, whatever its prefix); and
the quotes of Gmail (``div.gmail_quote``, ``div.gmail_extra``), Apple Mail, Thunderbird, Roundcube and
SOGo (``blockquote[type=cite]``, with Thunderbird's ``moz-cite-prefix`` line above it), Proton
(``blockquote.protonmail_quote``), Zoho (``div.zmail_extra``) and GMX/WEB.DE (``div[name=quote]``), unless
some of the sender's text comes after them, inside or below (an interleaved answer), in which case they
stay and become ``>`` lines. What is left goes through ``html.html_to_text`` and the text rules. When that
leaves nothing, or only a forward's first line, the whole HTML goes through the text rules instead.

Only ``inbound.html`` parses markup; this module walks the tree ``html.parse_html`` gives.
"""
import bisect
import re
from itertools import repeat

from ..sanitize import clean_text
from . import html as mailhtml
from .html import Element, Text

# Our mails start with a line between these ends (see mail/_reply_marker.txt); notifications uses it too.
REPLY_MARKER_PATTERN = r"##-[^\n]*-##"
_MARKER = re.compile(r"##-[^\n]{0,300}?-##")  # the same, bounded: a line of many "##-" stays linear
# In HTML the marker may be wrapped over two source lines.
_HTML_MARKER = re.compile(r"##-.{0,300}?-##", re.S)

# Quote headers -------------------------------------------------------------------------------------------

# What a quote header says the sender did, by language (en, fr, de, es, it, pt, nl, pl, da/nb/sv, fi, ru,
# uk, cs, sk, hr, bg, ca, et, lt, lv, hu, tr, ro, el, he, ar, vi, id); Chinese, Japanese and Korean ones
# follow the date unspaced.
_WROTE_WORDS = (
    "wrote", "writes", "a écrit", "écrit", "schrieb", "geschrieben", "escribió", "ha scritto", "scrisse",
    "escreveu", "schreef", "geschreven", "napisał(a)", "napisał", "napisała", "napisana przez", "pisze", "skrev",
    "kirjoitti", "написал(а)", "написал", "написала", "пишет", "писал", "пише", "написав(ла)", "napsal(a)",
    "napsal", "napsala", "napísal(a)", "napísal", "napísala", "napisao", "napisala", "написа", "va escriure",
    "kirjutas", "rašė", "rakstīja", "írta", "yazdı", "a scris", "έγραψε", "כתב/ה", "כתב", "كتب", "đã viết",
    "menulis",
)  # fmt: skip
_WROTE = "|".join(re.escape(word).replace(r"\ ", r"\s+") for word in _WROTE_WORDS)
_WROTE_CJK = r"写道|寫道|のメール|작성"
# The last words a quote header may end with (a quick test before the patterns).
_HEADER_ENDINGS = tuple({word.split()[-1] for word in _WROTE_WORDS} | {"写道", "寫道", "のメール", "작성"})
_VERB_END = re.compile(rf"(?:(?<![^\W\d_])(?:{_WROTE})|{_WROTE_CJK})\s*[:：]?\s*$", re.I)
_VERB_IN = re.compile(rf"(?<![^\W\d_])(?:{_WROTE})(?![^\W\d_])|{_WROTE_CJK}", re.I)
# The sender's address, then at most a few words (a verb of a language not listed) and a colon.
_ADDRESS_END = re.compile(r"(?:<[^<>\s]*@[^<>\s]*>\)?[^<>@:：]{0,30}|\S+@\S+\)?)\s*[:：]\s*$")
_COLON_END = re.compile(r"[:：]\s*$")
_TIME = re.compile(r"(?<!\d)\d{1,2}[:.h]\d{2}(?!\d)")
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
_AT = re.compile(r"\S@\S")
# The opening words of a quote header that starts with its date.
_INTRO = (
    r"On|Le|Am|El|Il(?:\s+giorno)?|Em|A|Op|Den|W\s+dniu|Dnia|Dne|Pe|În|Στις|Vào|På|Pada(?:\s+tanggal)?"
    r"|בתאריך|ב-(?=\d)|في|在|Selon|Quoting|Citando|Zitat\s+von"
)
_INTRO_START = re.compile(rf"(?:{_INTRO})(?:\s|(?<=-))")
_INLINE_START = re.compile(rf"(?<=\s)(?:\d|(?:{_INTRO})\s)")
_DASHED = re.compile(r"[-‐]{2,}\s*(.+?)\s*[-‐]{2,}")
_MAX_HEADER = 400

# Header blocks ("From: / Sent: / To: / Subject:") -------------------------------------------------------

_FIELD_NAMES = {
    "from": r"From|De(?:\s+la)?|Von|Da|Van|Od|Fra|Från|Lähettäjä|От|Від|差出人|送信者|发件人|寄件者|寄件人"
    r"|보낸\s?사람|발신|Feladó|Kimden|Από|من|מאת|Từ|Dari|Expéditeur|Remitente|Mittente|Afzender|Avsender"
    r"|Avsändare|Nadawca|Odesílatel|Gönderen|Remetente|Absender",
    "sent": r"Sent|Date|Envoyé(?:\s+le)?|Gesendet|Datum|Enviad[oa](?:\s+(?:el|em))?|Enviados|Fecha|Inviato"
    r"|Data|Dată|Verzonden|Wysłan[oe]|Sendt|Dato|Skickat|Lähetetty|Päivämäärä|Отправлено|Дата|Надіслано"
    r"|送信日時|日付|发送时间|日期|寄件日期|時間|보낸\s?날짜|날짜|Elküldve|Dátum|Odesláno|Gönderildi|Tarih|Trimis"
    r"|Στάλθηκε|Ημερομηνία|تم الإرسال|التاريخ|נשלח|תאריך|Đã gửi|Ngày|Dikirim|Tanggal",
    "to": r"To|À|A|An|Para|Aan|Do|Til|Till|Vastaanottaja|Кому|宛先|收件人|收件者|받는\s?사람|수신|Címzett|Komu"
    r"|Kime|Către|Catre|Προς|إلى|אל|Đến|Kepada|Pour",
    "cc": r"Cc|Bcc|Kopie|Kopi|Kopia|Копия|Копія|DW|抄送|副本|참조|Másolat|Másolatot kap|Bilgi|Κοιν|نسخة|עותק"
    r"|Copie(?:\s+à)?|Copia|Cópia|Kopio",
    "subject": r"Subject|Objet|Sujet|Betreff|Asunto|Oggetto|Ogg|Assunto|Onderwerp|Temat|Emne|Ämne|Aihe|Тема"
    r"|件名|主题|主旨|제목|Tárgy|Předmět|Konu|Subiect|Θέμα|الموضوع|נושא|Chủ đề|Perihal",
}
_FIELD = re.compile(
    r"\*?(?:" + "|".join(f"(?P<{kind}>{names})" for kind, names in _FIELD_NAMES.items()) + r")\s?\*?\s?[:：]\*?(.*)",
    re.I,
)
_ORIGINAL_TITLES = (
    r"Original Message|Message d['’]origine|Message original|Mail original|Ursprüngliche (?:Nachricht|Mail)"
    r"|Original-?Nachricht|Mensaje original|Messaggio originale|Mensagem original|Oorspronkelijk bericht"
    r"|Origineel bericht|Oryginalna wiadomość|Wiadomość oryginalna|Oprindelig meddelelse|Opprinnelig melding"
    r"|Originalmeddelande|Ursprungligt meddelande|Alkuperäinen viesti|Исходное сообщение"
    r"|Оригинальное сообщение|Оригінальне повідомлення|元のメッセージ|原始邮件|原始郵件|원본 메시지|원본 이메일"
    r"|Eredeti üzenet|Původní zpráva|Původní e-mail|Pôvodná správa|Orijinal mesaj|Özgün ileti|Mesaj original"
    r"|Αρχικό μήνυμα|الرسالة الأصلية|הודעה מקורית|Tin nhắn gốc|Thư gốc|Pesan asli|Reply Message|Replied Message"
)
_DASH = r"[-‐‑‒–—=_]"
_ORIGINAL_MESSAGE = re.compile(rf"{_DASH}{{2,}}\s*(?:{_ORIGINAL_TITLES})\s*{_DASH}{{2,}}", re.I)
_DASHED_TITLE = re.compile(rf"{_DASH}{{3,}}\s*[^\W\d_][^\n]{{0,40}}?\s*{_DASH}{{3,}}")
FORWARD_LINE = re.compile(
    r"(?:Begin forwarded message|Début du message (?:réexpédié|transféré)|Anfang der weitergeleiteten"
    r" (?:Nachricht|E-Mail)|Inicio del mensaje reenviado|Inizio messaggio inoltrato|Begin doorgestuurd bericht"
    r"|Início da mensagem (?:reencaminhada|encaminhada)|Początek przekazywanej wiadomości|Videresendt"
    r" (?:besked|meddelelse|melding)|Vidarebefordrat (?:brev|meddelande)|Välitetty viesti alkaa"
    r"|Начало переадресованного сообщения|Початок пересланого повідомлення|転送されたメッセージ|以下是转发的邮件"
    r"|Továbbított levél kezdete|Začátek přeposlané zprávy|Yönlendirilmiş iletinin başlangıcı"
    r"|Începutul mesajului redirecționat|Έναρξη προωθημένου μηνύματος)\s?[:：]"
    r"|-{2,}\s*(?:Forwarded message|Message transféré|Weitergeleitete Nachricht|Mensaje reenviado"
    r"|Messaggio inoltrato|Mensagem encaminhada|Doorgestuurd bericht|Wiadomość przekazana dalej"
    r"|Пересылаемое сообщение|Пересланное сообщение|Переслане повідомлення|Videresendt meddelelse"
    r"|Vidarebefordrat meddelande|Välitetty viesti|Továbbított üzenet|Přeposlaná zpráva|Προωθημένο μήνυμα"
    r"|转发邮件|轉寄郵件|전달된 메시지)\s*-{2,}",
    re.I,
)
_UNDERSCORES = re.compile(r"_{10,}")
_ORANGE_HEADER = re.compile(r"Message du \d{1,2}/\d{1,2}/\d{2,4} \d{1,2}:\d{2}")
# Mailman's "<list> mailing list" under its underscores; Google Groups' footer (after "-- " in any case).
_LIST_FOOTER = re.compile(
    r"You received this message because you are subscribed to the Google Groups .{1,300}|[\w.-]+ mailing list"
    r"|https?://\S+/listinfo/\S*",
    re.I,
)

# Phone and app footers: the verb "sent" in a language, naming a device or an app; or a whole phrase.
_FOOTER_URL = re.compile(r"\s*(?:<https?://[^<>\s]*>|\(https?://[^()\s]*\))")
_FOOTER = re.compile(
    r"(?:Sent (?:from|with|via|using|on)|Envoyé (?:de|depuis|à partir de|avec|du|par)|Gesendet (?:von|mit|vom)"
    r"|Enviad[oa] (?:desde|con|do|de|da|pelo|com|a partir de)|Inviato (?:da|dal|con|tramite)|(?:Verstuurd"
    r"|Verzonden) (?:vanaf|vanuit|met|via|van)|Wysłan[eo] (?:z|ze|przez)|Sendt (?:fra|med)|Skickat (?:från|med)"
    r"|Lähetetty|Отправлено (?:с|из|со)|Надіслано (?:з|із)|Odesláno (?:z|ze)|Trimis (?:de pe|de la|din|cu)"
    r"|Στάλθηκε από|Gửi từ|Diese Nachricht wurde|Von meinem)\s[^?]{1,80}"
    r"|(?:Get|Obtenir|Télécharger|Obtener|Scarica|Obter o|Obter|Hämta|Pobierz aplikację|Загрузите) Outlook .{1,40}"
    r"|Outlook (?:für|voor) (?:iOS|Android)(?: herunterladen| downloaden| beziehen)?",
    re.I,
)
_FOOTER_PREFIXES = ("发自我的", "發自我的", "从我的", "從我的", "נשלח מ", "أرسلت من", "أُرسلت من")
_FOOTER_SUFFIXES = ("から送信", "에서 보냄", "에서 보냈습니다", "ról küldve", "ről küldve", "mdan gönderildi")
_FOOTER_NAMES = re.compile(
    r"iPhon|iPad|iPod|Android|Galaxy|Samsung|BlackBerry|Huawei|Honor|Xiaomi|Pixel|Nokia|Xperia|smartphone|phone"
    r"|mobile|Handy|móvil|celular|cellulare|telefoon|telefon|puhelin|устройства|Почт|Mail|Outlook|Yahoo|Proton"
    r"|Spark|Courrier|Correo|Posta|Яндекс|aplikacji|app|application|Windows|iOS|갤럭시|スマートフォン",
    re.I,
)
_BLANK_QUOTE = re.compile(r">[>\s]*")
_NESTED_QUOTE = re.compile(r">\s?>")
_QUOTED_SIGNATURE = re.compile(r">\s?--\s*")
_WHOLE_QUOTE = 8  # quoted lines (not counting the marker): more is the whole mail, not an excerpt


# Plain text -----------------------------------------------------------------------------------------------

_INVISIBLE_MARKS = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def _lines(text):
    return [line.rstrip() for line in clean_text(text).split("\n")]


def _plain(line):
    return _INVISIBLE_MARKS.sub("", line.replace("\xa0", " ")).strip()


def _quoted(line):
    return line.startswith(">")


def _tidy(lines):
    """Lines joined, runs of blank lines made one, blank lines at either end left out."""
    text = "\n".join(line.rstrip() for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n").strip()


def _footer(line):
    if not 8 <= len(line) <= 1000:
        return False
    plain = _plain(_FOOTER_URL.sub("", line) if "http" in line else line).rstrip(".!")
    if len(plain) > 120 or "," in plain or len(plain.split()) > 10:  # a footer names a device, no more
        return False
    if plain.startswith(_FOOTER_PREFIXES) or plain.endswith(_FOOTER_SUFFIXES):
        return len(plain) <= 60
    return bool(_FOOTER.fullmatch(plain)) and bool(_FOOTER_NAMES.search(plain))


def _header_end(plain):
    """The line may end a quote header: a colon, dashes, or the verb."""
    tail = plain[-40:].rstrip(" :：")
    return plain.endswith((":", "：", "--", "‐‐")) or tail.lower().endswith(_HEADER_ENDINGS)


def _field(plain):
    """(kind, value) of a header field line ("From: ...", "Envoyé : ..."), or (None, None)."""
    match = _FIELD.match(plain) if len(plain) < 1000 else None
    if not match:
        return None, None
    kind = next(kind for kind in _FIELD_NAMES if match.group(kind) is not None)
    value = match.group(len(_FIELD_NAMES) + 1).strip()
    if (kind == "sent" and not re.search(r"\d", value)) or (kind == "from" and not value):
        return None, None
    return kind, value


def _header_strength(text):
    """"strong" for a quote header that is one by itself, "weak" for one that needs ``>`` lines below it."""
    dashed = _DASHED.fullmatch(text)
    if dashed:
        inner = dashed.group(1)
        ok = _VERB_IN.search(inner) and (_TIME.search(inner) or _AT.search(inner))
        return "strong" if ok else None
    time_or_address = _TIME.search(text) or _AT.search(text)
    if not (time_or_address or _YEAR.search(text)):
        return None
    colon = _COLON_END.search(text)
    verb = _VERB_END.search(text) or (colon and _VERB_IN.search(text))
    if not (verb or (colon and _ADDRESS_END.search(text))):
        return None
    if verb and colon and time_or_address and _INTRO_START.match(text):
        return "strong"
    return "weak"


def _header_start(text):
    """What comes before the date of a header without opening word is one word (a weekday), an address, a
    name and the verb ("Name <a@b> escreveu no dia ..."): not a sentence of the sender's."""
    before = re.split(r"\d", text, maxsplit=1)[0]
    words = len(before.split()) <= 1 or "@" in before or "<" in before
    return words or bool(_INTRO_START.match(text) or _VERB_IN.search(before))


class _Body:
    """The lines of a body, with what the rules ask of each worked out once: its plain text, the next
    non-blank line, the next line of the sender's own (neither blank, quoted nor a footer), the next quoted
    line (``count`` when there is none), and whether it may end a quote header."""

    def __init__(self, lines):
        self.lines, self.count = lines, len(lines)
        count = self.count
        # Quoted lines are never cut points: only whether they are blank matters.
        self.plain = [line if _quoted(line) else _plain(line) for line in lines]
        self.header_end = [bool(plain) and not _quoted(plain) and _header_end(plain) for plain in self.plain]
        self.footer = [bool(plain) and not _quoted(plain) and _footer(plain) for plain in self.plain]
        self.next_text, self.next_own, self.next_quoted = ([count] * (count + 1) for _ in range(3))
        for index in range(count - 1, -1, -1):
            line = lines[index]
            blank, quoted = not line.strip(), _quoted(line)
            self.next_text[index] = self.next_text[index + 1] if blank else index
            self.next_quoted[index] = index if quoted else self.next_quoted[index + 1]
            own = not (blank or quoted or self.footer[index])
            self.next_own[index] = index if own else self.next_own[index + 1]

    def quote_follows(self, index):
        """The next non-blank line from ``index`` is a ``>`` line, or there is none."""
        position = self.next_text[min(index, self.count)]
        return position == self.count or _quoted(self.lines[position])

    def quote_header(self, index):
        """(lines the quote header at ``index`` takes, the sender's words before it on its first line, or
        None), or None when there is no quote header there."""
        if not any(self.header_end[index : index + 3]):
            return None
        joined = ""
        for length, line in enumerate(self.lines[index : index + 3], start=1):
            plain = self.plain[index + length - 1]
            if not plain or _quoted(line):
                return None
            joined = f"{joined} {plain}".strip()
            if not self.header_end[index + length - 1]:
                continue
            follows = self.quote_follows(index + length)
            if len(joined) <= _MAX_HEADER:
                strength = _header_strength(joined)
                # A strong one without an address, right above more text, is the sender's own sentence.
                alone = follows or "@" in joined or not self.plain[min(index + length, self.count - 1)]
                if (strength == "strong" and alone) or (strength and follows and _header_start(joined)):
                    return length, None
            if follows:  # the sender's words and the header on one line
                first = self.plain[index]
                for match in _INLINE_START.finditer(first, max(0, len(joined) - _MAX_HEADER)):
                    if _header_strength(joined[match.start() :]) and re.search(r"\w", first[: match.start()]):
                        return length, first[: match.start()].rstrip()
        return None

    def header_block(self, index):
        """A "From: / Sent: / To: / Subject:" block (or Orange's "Message du") starts at ``index``."""
        plain = self.plain[index]
        if _ORANGE_HEADER.fullmatch(plain):
            return index + 1 < self.count and _field(self.plain[index + 1])[0] == "from"
        if _field(plain)[0] not in ("from", "sent"):
            return False
        kinds, fields, others, address = set(), 0, 0, False
        for plain in self.plain[index : index + 7]:
            if not plain:
                break
            kind, value = _field(plain)
            if kind is None:
                others += 1
                if others > 2:
                    break
                continue
            fields += 1
            kinds.add(kind)
            address = address or "@" in value
        # Mail programs always write "To:" and "Subject:"; headers the sender pasted, or a schedule
        # ("From: Paris / To: Lyon / Date: ..."), seldom do.
        return {"from", "to", "subject"} <= kinds and ("sent" in kinds or address)

    def separator(self, index):
        """A line of dashes or underscores that opens history: a known title, or one followed by a header."""
        plain = self.plain[index]
        if len(plain) > 200 or not (plain[:1] in "-‐‑‒–—=_" and plain[-1:] in "-‐‑‒–—=_"):
            return False
        if _ORIGINAL_MESSAGE.fullmatch(plain):
            return True
        if _DASHED_TITLE.fullmatch(plain) or _UNDERSCORES.fullmatch(plain):
            following = self.next_text[index + 1]
            line = self.plain[following] if following < self.count else ""
            return bool(_field(line)[0] or _LIST_FOOTER.fullmatch(line))
        return False

    def boundary(self, index, header=True):
        """Whether the (unquoted) line at ``index`` starts history, a signature or a list's footer."""
        plain = self.plain[index]
        if plain == "--" or self.separator(index) or (header and self.quote_header(index) is not None):
            return True
        if "##-" in plain and _MARKER.search(plain):
            return True
        lower = plain.lower()
        if ("subscribe" in lower or "mailing list" in lower or "listinfo" in lower) and _LIST_FOOTER.fullmatch(plain):
            return True
        # Forward lines and header fields hold a colon (or dashes, for a forward).
        if (":" in plain or "：" in plain) and (FORWARD_LINE.fullmatch(plain) or self.header_block(index)):
            return True
        return "-" in plain and bool(FORWARD_LINE.fullmatch(plain))

    def answer_after_quote(self, index):
        """From ``index`` (blank lines aside) comes a ``>`` block, then more of the sender's own text: where
        that text starts, else None."""
        index = self.next_text[min(index, self.count)]
        if index == self.count or not _quoted(self.lines[index]):
            return None
        position = self.next_own[index]
        return position if position < self.count and not self.boundary(position) else None

    def bottom_posted(self, quote, answer):
        """The block from ``quote`` to ``answer`` is a whole mail (a quoted signature, a nested quote, more
        than ``_WHOLE_QUOTE`` lines), not an excerpt the sender kept, and no other quote is answered below."""
        count = 0
        for line in self.lines[quote:answer]:
            if _QUOTED_SIGNATURE.fullmatch(line) or _NESTED_QUOTE.match(line):
                break
            count += bool(line.strip(">").strip()) and not _MARKER.search(line)
        else:
            if count <= _WHOLE_QUOTE:
                return False
        later = self.next_quoted[answer]
        return later == self.count or self.answer_after_quote(later) is None

    def own_text_before(self, end):
        """Some text of the sender's own above ``end``: not blank, not a footer, above any signature."""
        for index in range(end):
            if self.plain[index] == "--":
                return False
            if self.plain[index] and not self.footer[index]:
                return True
        return False


def _scan(body):
    """(where the reply ends, lines to leave out, whether the rest is a forward to keep whole). The body's
    lines may be changed: a line holding the sender's words and a quote header keeps the words only."""
    lines, count = body.lines, body.count
    dropped, index, own = set(), 0, False
    while index < count:
        line = lines[index]
        if "##-" in line and _MARKER.search(line):
            if _quoted(line) and body.answer_after_quote(index) is not None:
                dropped.add(index)
                index += 1
                while index < count and lines[index].strip() == ">":  # the blank quoted lines below it
                    dropped.add(index)
                    index += 1
                continue
            return index, dropped, False
        if not line.strip():
            index += 1
            continue
        if _quoted(line):
            if not own:  # the mail starts with a quote: the sender may have written below it
                answer = body.answer_after_quote(index)
                if answer is not None and body.bottom_posted(index, answer):
                    dropped.update(range(index, answer))
                    index = answer
                    continue
                own = True
            index += 1
            continue
        if FORWARD_LINE.fullmatch(body.plain[index]):
            return index, dropped, not body.own_text_before(index)
        header = body.quote_header(index)
        if header:
            length, words = header
            if words is not None:
                lines[index] = words
                return index + 1, dropped, False
            answer = body.answer_after_quote(index + length)
            if answer is None:
                return index, dropped, False
            if body.bottom_posted(body.next_text[index + length], answer):
                dropped.update(range(index, answer))
                index = answer
            else:
                index += length
            own = True
            continue
        if body.boundary(index, header=False):
            return index, dropped, False
        if body.footer[index]:
            following = body.next_text[index + 1]
            if own and index + 1 < following < count and body.next_quoted[index] == count:
                return index, dropped, False  # history without a header (nor quote) below a phone footer
        else:
            own = True
        index += 1
    return count, dropped, False


def _drop_trailing(lines):
    """Take trailing blank lines, ``>`` blocks and phone footers off the end."""
    end = len(lines)
    while end and (not lines[end - 1].strip() or _quoted(lines[end - 1]) or _footer(lines[end - 1])):
        end -= 1
    return lines[:end]


def _trim_quote_edges(lines):
    """Blank ``>`` lines at the start or end of a quoted block go."""
    kept = []
    for index, line in enumerate(lines):
        if line.startswith(">") and _BLANK_QUOTE.fullmatch(line):
            before = kept[-1] if kept else ""
            after = lines[index + 1] if index + 1 < len(lines) else ""
            if not (_quoted(before) and _quoted(after)):
                continue
        kept.append(line)
    return kept


def _extract(text):
    """(the reply in a plain-text body, whether it is a forward kept whole)."""
    body = _Body(_lines(text))
    end, dropped, forward = _scan(body)
    lines = body.lines
    if forward:
        reply = _tidy(lines[end:])
    else:
        kept = [line for index, line in enumerate(lines[:end]) if index not in dropped]
        reply = _tidy(_trim_quote_edges(_drop_trailing(kept)))
    return (reply, forward) if reply else (_tidy(lines), False)


def extract_reply(text):
    """The reply in a plain-text mail body, without quoted history, signature and phone footers."""
    return _extract(text)[0]


# HTML -----------------------------------------------------------------------------------------------------

# Outlook's "From: / Sent:" block, under a thin grey line (blue-grey in older versions).
_OUTLOOK_HEADER_STYLE = re.compile(
    r"border-top\s*:\s*(?:solid\s+(?:#e1e1e1|#b5c4df)"
    r"|1(?:\.0)?pt\s+solid\s+(?:#e1e1e1|#b5c4df|rgb\(\s*225,\s*225,\s*225\s*\)))"
)
# Any solid top border: history when the text under it starts with a header field.
_TOP_BORDER_STYLE = re.compile(r"border-top\s*:[^;]*solid|border-style\s*:\s*solid\s+none\s+none")
_HISTORY_IDS = ("appendonsend", "divrplyfwdmsg", "mail-editor-reference-message-container")
_INVISIBLE = re.compile(r"[\s\u200b-\u200d\u2060\ufeff]+")
# Removed wherever they are: signatures, Yahoo's quote (which is not a blockquote).
_ALWAYS_REMOVED_CLASSES = frozenset(
    {"gmail_signature", "gmail_signature_prefix", "moz-signature", "protonmail_signature_block"}
)


def _first_text(element, limit=200):
    """The first ``limit`` characters of visible text in ``element`` (its first 500 nodes at most)."""
    parts, size, visits, stack = [], 0, 0, [iter((element,))]
    while stack and size < limit and visits < 500:
        node = next(stack[-1], None)
        visits += 1
        if node is None:
            stack.pop()
        elif isinstance(node, Text):
            parts.append(node.data)
            size += len(node.data)
        elif node.tag not in mailhtml.DROPPED_TAGS:
            stack.append(iter(node.children))
    return _plain(" ".join("".join(parts).split()))[:limit]


def _history_start(element):
    """An element that starts quoted history: it and everything after it go."""
    element_id = element.attrs.get("id", "").lower()
    if element_id.endswith(_HISTORY_IDS):
        return True
    if element.tag == "hr" and element_id in ("zwchr", "stopspelling"):
        return True
    if element.tag != "div":
        return False
    style = element.attrs.get("style", "").lower()
    if _OUTLOOK_HEADER_STYLE.search(style):
        return True
    if _TOP_BORDER_STYLE.search(style):
        text = _first_text(element)
        return bool(_field(text)[0] or _ORIGINAL_MESSAGE.match(text))
    return False


def _quote(element):
    """An element holding a quote, removed unless the sender wrote after (or inside) it."""
    classes = element.classes
    if element.tag == "div":
        return bool(classes & {"gmail_quote", "gmail_extra", "zmail_extra"}) or element.attrs.get("name") == "quote"
    if element.tag == "blockquote":
        return element.attrs.get("type", "").lower() == "cite" or bool(classes & {"gmail_quote", "protonmail_quote"})
    return False


def _walk(root):
    """(node, inside a blockquote) for every node in document order, dropped elements skipped."""
    stack = [(root, False)]
    while stack:
        node, quoted = stack.pop()
        yield node, quoted
        if isinstance(node, Element) and node.tag not in mailhtml.DROPPED_TAGS:
            quoted = quoted or node.tag == "blockquote"
            stack.extend((child, quoted) for child in reversed(node.children))


def _index(node):
    return node.parent.children.index(node)  # nodes have no __eq__: this finds the node itself


def _cut_after(node):
    """Remove everything after ``node`` in the document."""
    while node.parent is not None:
        del node.parent.children[_index(node) + 1 :]
        node = node.parent


def _cut_history(root):
    """Remove the first element that starts history, or the reply marker, and everything after it."""
    for node, quoted in _walk(root):
        if isinstance(node, Element):
            if _history_start(node):
                _cut_after(node)
                del node.parent.children[_index(node)]
                return
        elif not quoted:
            # A marker inside a blockquote is left to the text rules, which know an interleaved answer.
            match = _HTML_MARKER.search(node.data)
            if match:
                node.data = node.data[: match.start()]
                _cut_after(node)
                return


def _always_removed(element):
    return bool(element.classes & _ALWAYS_REMOVED_CLASSES) or "yahoo_quoted" in element.attrs.get("class", "")


def _drop_always_removed(root):
    stack = [root]
    while stack:
        element = stack.pop()
        element.children = [
            child for child in element.children if isinstance(child, Text) or not _always_removed(child)
        ]
        stack.extend(child for child in element.children if isinstance(child, Element))


def _visible(text):
    return bool(_INVISIBLE.sub("", text))


def _written_inside(container):
    """Text in a quote container (Gmail's ``div``) outside its blockquotes and its "wrote:" line."""
    stack = list(container.children)
    while stack:
        node = stack.pop()
        if isinstance(node, Text):
            if _visible(node.data):
                return True
        elif node.tag not in mailhtml.DROPPED_TAGS and node.tag != "blockquote" and not _quote(node):
            if "gmail_attr" not in node.classes and node.attrs.get("id") != "Zm-_Id_-Sgn1":  # "wrote:" lines
                stack.extend(node.children)
    return False


def _cite_prefixes(element, prefixes):
    """Record Thunderbird's "wrote:" line (``div.moz-cite-prefix``) right before each blockquote child."""
    previous = None
    for child in element.children:
        if isinstance(child, Text):
            if _visible(child.data):
                previous = None
            continue
        if child.tag == "blockquote" and previous is not None and "moz-cite-prefix" in previous.classes:
            prefixes[id(child)] = previous
        previous = child


def _remove_quotes(root):
    """Remove each quote the sender wrote nothing after (nor inside, for a container).

    Every node gets its place in document order, and each element the place of its last descendant; a
    quote has text after it when some visible text that is still there has a later place. Quotes are seen
    from the last to the first, so that removing one counts for those before it: the last visible text
    still there is known at each step, as everything removed so far lies after the quote at hand.
    """
    place, last, visible, quotes, prefixes = {}, {}, [], [], {}
    stack = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        if leaving:
            last[id(node)] = len(place) - 1
            continue
        place[id(node)] = len(place)
        if isinstance(node, Text):
            if _visible(node.data):
                visible.append(place[id(node)])
        elif node.tag not in mailhtml.DROPPED_TAGS:
            if _quote(node):
                quotes.append(node)
            _cite_prefixes(node, prefixes)
            stack.append((node, True))
            stack.extend(zip(reversed(node.children), repeat(False)))
    removed = set()
    latest = visible[-1] if visible else -1  # the place of the last visible text still there
    for quote in reversed(quotes):
        start, end = place[id(quote)], last[id(quote)]
        if latest > end or (quote.tag != "blockquote" and _written_inside(quote)):
            continue  # an answer after or inside it: it stays, as "> " lines
        removed.add(id(quote))
        prefix = prefixes.get(id(quote))
        if prefix is not None:
            removed.add(id(prefix))
            start = place[id(prefix)]
        if latest >= start:
            before = bisect.bisect_left(visible, start)
            latest = visible[before - 1] if before else -1
    parents = {id(quote.parent): quote.parent for quote in quotes if id(quote) in removed}
    for parent in parents.values():
        parent.children = [child for child in parent.children if id(child) not in removed]


def _remove_history(root):
    _cut_history(root)
    _drop_always_removed(root)
    _remove_quotes(root)


def extract_reply_html(html):
    """The reply in an HTML mail body, as plain text: quoted history, signature and phone footers left out."""
    tree = mailhtml.parse_html(html)
    with mailhtml.gc_paused():
        _remove_history(tree)
    text = mailhtml.html_to_text(tree)
    if text:
        reply, forward = _extract(text)
        if reply and not forward:
            return reply
    text = mailhtml.html_to_text(html)
    return extract_reply(text) if text else ""


# The inbound handler's entry point ------------------------------------------------------------------------


def reply_text(stripped_text=None, text=None, html=None):
    """What to store of an inbound mail: the ESP's stripped text, else the text part, else the HTML part.

    ``stripped_text`` is Anymail's ``message.stripped_text`` (Mailgun, Postmark: the ESP already took the
    quotes off); it is still cut at the reply marker. Each source is tried in turn while the previous one
    gives nothing; "" only when the mail has no text at all.
    """
    if stripped_text:
        lines = _lines(stripped_text)
        end = next((i for i, line in enumerate(lines) if _MARKER.search(line)), len(lines))
        reply = _tidy(lines[:end])
        if reply:
            return reply
    if text and text.strip():
        reply = extract_reply(text)
        if reply:
            return reply
    if html:
        return extract_reply_html(html)
    return ""
