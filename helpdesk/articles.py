"""The platform's first help articles, in English and Russian.

Platform admins edit them in the admin afterwards; ``manage.py load_help`` adds back any that
are missing (it never changes an article that exists). Paragraphs are separated by an empty
line: the help bot quotes the paragraph that answers a question, so each paragraph stands on
its own.
"""

ARTICLES = [
    {
        "slug": "connect-whatsapp",
        "position": 10,
        "title_en": "Connect WhatsApp",
        "title_ru": "Подключить WhatsApp",
        "keywords": (
            "whatsapp, ватсап, вотсап, вацап, ватсапп, qr, qr-код, linked devices, связанные "
            "устройства, номер, телефон, канал, channel, pairing code, код привязки, "
            "подключить, подключение, connect, link"
        ),
        "body_en": """\
Each company connects its own WhatsApp number: customers' messages to that number arrive in \
Conversations, where the assistant answers them. WhatsApp is linked the way WhatsApp Web is, \
with a QR code; no WhatsApp Business API account is needed.

To connect: on the Dashboard, click Channels on the company's card, then Connect WhatsApp. On \
the phone, open WhatsApp → Settings → Linked devices → Link a device, and scan the QR code \
shown on the page. The code changes every few seconds and the page follows it. When the status \
turns Connected, the page shows the number and the account's name.

If the QR code does not scan, or you cannot scan it (the phone is your only device, say), link \
with the phone number instead: enter the number with its country code, digits only (like \
79001234567), click Get a pairing code, and type that code on the phone in WhatsApp → Linked \
devices → Link with phone number instead.

If the status shows Error or the session stopped (the phone logged out, WhatsApp was \
reinstalled), open the channel, click Reconnect (new QR code) and scan again. WhatsApp unlinks \
the devices of a phone that stays offline for about two weeks, so open WhatsApp on the phone \
from time to time.

To stop receiving the number's messages here, open the channel and click Disconnect; the \
conversations stay in Conversations. How many channels you can connect depends on your plan: \
one messaging channel during the free trial (the web chat does not count).""",
        "body_ru": """\
Каждая компания подключает свой номер WhatsApp: сообщения клиентов на этот номер приходят в \
«Диалоги», и на них отвечает ассистент. WhatsApp привязывается так же, как WhatsApp Web, — по \
QR-коду; аккаунт WhatsApp Business API не нужен.

Как подключить: на панели (Dashboard) на карточке компании нажмите «Каналы», затем «Подключить \
WhatsApp». На телефоне откройте WhatsApp → Настройки → Связанные устройства → Привязка \
устройства и отсканируйте QR-код со страницы. Код меняется каждые несколько секунд, страница \
обновляет его сама. Когда статус станет «Подключено», на странице появятся номер и имя \
аккаунта.

Если QR-код не сканируется или отсканировать его не получается (например, телефон — ваше \
единственное устройство), привяжите по номеру телефона: введите номер с кодом страны, только \
цифры (например, 79001234567), нажмите «Получить код привязки» и введите этот код на телефоне \
в WhatsApp → Связанные устройства → Привязать по номеру телефона.

Если статус — «Ошибка» или сессия остановилась (телефон вышел из аккаунта, WhatsApp \
переустановили), откройте канал, нажмите «Переподключить (новый QR-код)» и отсканируйте код \
снова. WhatsApp отвязывает устройства, если телефон не выходит в сеть около двух недель, \
поэтому время от времени открывайте WhatsApp на телефоне.

Чтобы перестать получать здесь сообщения этого номера, откройте канал и нажмите «Отключить»; \
диалоги останутся в «Диалогах». Сколько каналов можно подключить, зависит от тарифа: в пробный \
период — один канал мессенджера (веб-чат не считается).""",
    },
    {
        "slug": "import-price-list",
        "position": 20,
        "title_en": "Import a price list into a knowledge base",
        "title_ru": "Загрузить прайс-лист в базу знаний",
        "keywords": (
            "прайс, прайс-лист, прайслист, каталог, товары, услуги, импорт, импортировать, "
            "загрузить, загрузка, файл, excel, эксель, xlsx, csv, 1с, 1c, shopify, "
            "woocommerce, prestashop, база знаний, knowledge base, catalog, catalogue, "
            "products, services, upload, import, price list, pricelist, spreadsheet"
        ),
        "body_en": """\
The assistant answers customers from a company's knowledge base: its products or services with \
names, SKUs, prices, descriptions, availability, links and photos. You fill it from the price \
list you already have: a CSV or Excel (.xlsx) file exported from Shopify, WooCommerce, \
PrestaShop, 1C, or written by hand.

To import: open Knowledge, click New knowledge base, and choose the company and whether the \
base holds products or services. On the knowledge base's page click Import a price list, \
choose the file and click Upload and check. Title rows above the table, several sheets and any \
text encoding are fine, and nothing is written until you confirm.

Then check the columns: the sheet and the header row are found automatically, and each column \
is matched to an item field (name, SKU, price, currency, category, description, image and so \
on). Change any that are wrong and click Update preview to see the first items as they will be \
saved. Columns kept as extra columns are stored with each item and exported back under their \
own names.

Choose how to import. Merge updates the items that match, adds new ones and keeps the rest; \
Replace makes the knowledge base exactly the file and removes the items that are not in it. \
Items are matched by SKU, or by name and category when they have no SKU, so importing an \
updated price list again changes only what changed.

The import runs in the background and shows its progress. You can cancel it, and a failed or \
cancelled import leaves the knowledge base as it was. At the end you see how many items were \
added, updated and skipped; the skipped rows are listed with the reason and can be downloaded \
as a CSV file to fix and import again.

To keep a copy or edit the list in Excel, click Export CSV or Export Excel on the knowledge \
base's page. Single items can also be added, edited or deleted right in its table.""",
        "body_ru": """\
Ассистент отвечает клиентам по базе знаний компании: её товарам или услугам с названиями, \
артикулами, ценами, описаниями, наличием, ссылками и фото. Заполнить её можно из прайс-листа, \
который у вас уже есть, — файла CSV или Excel (.xlsx), выгруженного из Shopify, WooCommerce, \
PrestaShop, 1С или составленного вручную.

Как загрузить: откройте «База знаний», нажмите «Новая база знаний», выберите компанию и что в \
базе — товары или услуги. На странице базы нажмите «Импортировать прайс-лист», выберите файл и \
нажмите «Загрузить и проверить». Строки с названием над таблицей, несколько листов и любая \
кодировка — не помеха, а пока вы не подтвердите, ничего не записывается.

Затем проверьте столбцы: лист и строка заголовков находятся автоматически, и каждый столбец \
сопоставляется с полем товара (название, артикул, цена, валюта, категория, описание, \
изображение и другие). Исправьте неверные и нажмите «Обновить предпросмотр», чтобы увидеть \
первые товары такими, какими они сохранятся. Столбцы, оставленные дополнительными, хранятся у \
каждого товара и выгружаются обратно под своими названиями.

Выберите способ загрузки. «Объединить» обновляет совпавшие товары, добавляет новые и оставляет \
остальные; «Заменить» сделает базу точной копией файла и удалит товары, которых в нём нет. \
Товары сопоставляются по артикулу, а без артикула — по названию и категории, поэтому повторная \
загрузка обновлённого прайс-листа меняет только то, что изменилось.

Загрузка идёт в фоне и показывает ход работы. Её можно отменить, а неудачная или отменённая \
загрузка оставляет базу как была. В конце видно, сколько товаров добавлено, обновлено и \
пропущено; пропущенные строки показаны с причиной, их можно скачать файлом CSV, исправить и \
загрузить снова.

Чтобы сохранить копию или поправить прайс-лист в Excel, нажмите «Экспорт в CSV» или «Экспорт \
Excel» на странице базы. Отдельные товары можно добавить, изменить или удалить прямо в её \
таблице.""",
    },
    {
        "slug": "web-chat",
        "position": 30,
        "title_en": "The web chat on your website",
        "title_ru": "Веб-чат на вашем сайте",
        "keywords": (
            "веб-чат, вебчат, чат на сайте, онлайн-чат, виджет, сайт, код, сниппет, website, "
            "site, widget, snippet, web chat, webchat, live chat, chat bubble, embed, "
            "install, установить, вставить"
        ),
        "body_en": """\
The web chat is a chat bubble on your company's own website. Visitors write in it, the \
assistant answers them from the knowledge base, and you see and answer the same conversations \
in Conversations. There is no account to link, and the web chat does not count toward your \
plan's channels.

To put the web chat on your website: on the Dashboard, click Channels on the company's card, \
then Enable web chat. Copy the widget's snippet shown there and paste it into your website's \
pages just before the closing </body> tag (in most site builders: Settings → Custom code → \
Footer). The chat bubble appears the next time the page loads.

In the web chat's Settings you can switch it on or off, set the title and the greeting \
visitors see, pick the accent colour that matches your site, and list the websites it may run \
on: one address per line, like https://shop.example.com, or https://*.example.com for all its \
subdomains. An empty list lets it run on any website.

A visitor keeps their conversation after reloading the page or coming back later in the same \
browser. Their messages appear in Conversations at once, with the page they wrote from, and \
your replies appear in their chat straight away.""",
        "body_ru": """\
Веб-чат — это кнопка чата на сайте вашей компании. Посетители пишут в нём, ассистент отвечает \
им по базе знаний, а вы видите те же диалоги в «Диалогах» и можете ответить сами. Ничего \
привязывать не нужно, и веб-чат не считается в лимите каналов тарифа.

Как поставить веб-чат на сайт: на панели (Dashboard) на карточке компании нажмите «Каналы», \
затем «Включить веб-чат». Скопируйте показанный там код виджета и вставьте его в страницы \
сайта прямо перед закрывающим тегом </body> (в большинстве конструкторов сайтов: Настройки → \
Свой код → Подвал). Кнопка чата появится при следующей загрузке страницы.

В настройках веб-чата можно включить или выключить его, задать заголовок и приветствие, \
выбрать цвет под ваш сайт и перечислить сайты, на которых он может работать: по одному адресу \
в строке, например https://shop.example.com, или https://*.example.com для всех поддоменов. \
Пустой список разрешает любой сайт.

Посетитель сохраняет свой диалог после перезагрузки страницы или когда вернётся позже в том же \
браузере. Его сообщения сразу появляются в «Диалогах» вместе со страницей, с которой он \
написал, а ваши ответы сразу видны в его чате.""",
    },
    {
        "slug": "trial-and-plans",
        "position": 40,
        "title_en": "The free trial and plans",
        "title_ru": "Пробный период и тарифы",
        "keywords": (
            "тариф, тарифы, пробный период, триал, бесплатно, стоимость, подписка, счёт, "
            "лимит, trial, free, plan, plans, pricing, subscription, billing, invoice, limit, "
            "how much does it cost"
        ),
        "body_en": """\
A new business starts with a free trial of 7 days with everything the product does. The \
Dashboard shows how many days of the trial are left.

During the trial a business can connect one messaging channel, one WhatsApp number for \
example. The web chat on your website does not count toward this limit. A paid plan allows \
more channels.

Conversation history is kept for the number of days shown on the Dashboard; older messages and \
their files are deleted. Plans may keep history longer.

To choose or change a plan, ask about prices or get an invoice, write to support: the platform \
manager who looks after your business will answer. Choose a plan before the trial ends, so \
that your channels and the assistant keep working without a break.""",
        "body_ru": """\
Новый бизнес начинает с бесплатного пробного периода на 7 дней со всеми возможностями \
продукта. Сколько дней осталось, видно на панели (Dashboard).

В пробный период можно подключить один канал мессенджера, например один номер WhatsApp. \
Веб-чат на вашем сайте в этом лимите не считается. Платный тариф позволяет подключить больше \
каналов.

История переписки хранится столько дней, сколько указано на панели; более старые сообщения и \
их файлы удаляются. На тарифах история может храниться дольше.

Чтобы выбрать или сменить тариф, узнать цены или получить счёт, напишите в поддержку: ответит \
менеджер платформы, который ведёт ваш бизнес. Выберите тариф до конца пробного периода, чтобы \
каналы и ассистент работали без перерыва.""",
    },
    {
        "slug": "take-over-conversation",
        "position": 50,
        "title_en": "Take over a conversation from the assistant",
        "title_ru": "Взять диалог у ассистента",
        "keywords": (
            "оператор, менеджер, сотрудник, человек, перехватить, взять диалог, ответить "
            "самому, передать, вернуть, диалоги, переписка, быстрые ответы, заметка, "
            "уведомления, take over, takeover, hand over, hand back, handoff, operator, "
            "human, agent, inbox, conversations, quick replies, note, notifications, assign"
        ),
        "body_en": """\
The assistant answers customers by itself, and any member of your business can step in at any \
moment. While a person has a conversation, the assistant stays silent in it; when you hand it \
back, the assistant answers again.

To take over: open Conversations, open the conversation and click Take over in the side panel. \
Write your reply in the box below the messages and click Send; type / and a shortcut to insert \
one of your quick replies. Tick Internal note to leave a note that only your team sees.

When you are done, click Hand back to the assistant. You can also assign the conversation to a \
member of your business, resolve it or archive it; a resolved or archived conversation opens \
again when the customer writes.

The assistant hands a conversation over by itself when the customer asks for a person (with \
words like "operator" or "человек"), is angry, or has not been understood several times in a \
row. The conversation is then marked as waiting for a person, everyone in the business sees it \
at once in Conversations, and the customer is told that a person will answer. You choose those \
words and rules on the Assistant page.

To hear or see new conversations while you work in another tab, turn on the sound and desktop \
notifications in your account's preferences.""",
        "body_ru": """\
Ассистент отвечает клиентам сам, а любой сотрудник вашего бизнеса может вмешаться в любой \
момент. Пока диалог ведёт человек, ассистент в нём молчит; когда вы вернёте диалог, ассистент \
снова начнёт отвечать.

Как взять диалог: откройте «Диалоги», выберите диалог и нажмите «Взять диалог» в боковой \
панели. Напишите ответ в поле под сообщениями и нажмите «Отправить»; наберите / и сокращение, \
чтобы вставить один из быстрых ответов. Отметьте «Внутренняя заметка», чтобы оставить заметку, \
которую видит только ваша команда.

Когда закончите, нажмите «Передать ассистенту». Диалог также можно назначить сотруднику, \
пометить решённым или отправить в архив; решённый или архивный диалог снова открывается, когда \
клиент напишет.

Ассистент сам передаёт диалог человеку, когда клиент просит оператора (словами вроде \
«оператор» или «human»), сердится или его несколько раз подряд не поняли. Диалог помечается \
как ожидающий человека, все сотрудники сразу видят его в «Диалогах», а клиенту сообщается, что \
ему ответит человек. Эти слова и правила настраиваются на странице «Ассистент».

Чтобы слышать и видеть новые диалоги, пока вы работаете в другой вкладке, включите звук и \
уведомления на рабочем столе в настройках своего аккаунта.""",
    },
    {
        "slug": "assistant-settings",
        "position": 60,
        "title_en": "Set up the assistant and try it",
        "title_ru": "Настроить ассистента и проверить его",
        "keywords": (
            "ассистент, бот, настройки, тон, приветствие, правила, рабочие часы, график, "
            "часовой пояс, нерабочее время, проверочный чат, тестовый чат, тест, проверить, "
            "предпросмотр, "
            "assistant, bot, settings, tone, greeting, rules, working hours, opening hours, "
            "schedule, timezone, out of hours, test chat, preview, try"
        ),
        "body_en": """\
On the Assistant page each company has its settings: the tone (friendly, formal or brief), the \
language of the answers, the greeting, your own rules, working hours with the out-of-hours \
answer, the privacy notice sent once to each new customer, and when to hand a conversation to \
a person.

The settings apply to every channel and every kind of question of the company. Add an override \
to change some of them for one channel (a formal tone on e-mail, say), for one scenario \
(greeting, product questions, price, availability, payment, delivery or booking, when nothing \
matches), or for both. An override changes only what it sets; everything else comes from the \
company's settings.

Working hours: choose Always open, or Only these hours and set the opening and closing time of \
each day in your time zone (like Europe/Moscow); a day left empty is closed. Outside working \
hours the assistant still answers, and the out-of-hours answer tells the customer when a \
person will reply.

Before saving, type a customer's message in the Preview panel to see the answer with the \
settings as they are in the form. The Test chat lets you talk to the assistant as a customer \
would: for each answer it shows what it understood, which items of the knowledge base it found \
and at what prices, and why it answered so. Nothing in the test chat reaches a customer or \
Conversations.

Prices and facts always come from the knowledge base: the assistant never invents them. When a \
customer asks about something the knowledge base does not have, the assistant says so and \
offers a person.""",
        "body_ru": """\
На странице «Ассистент» у каждой компании свои настройки: тон (дружелюбный, официальный или \
краткий), язык ответов, приветствие, ваши правила, рабочие часы и ответ в нерабочее время, \
уведомление о конфиденциальности, которое один раз получает каждый новый клиент, и когда \
передавать диалог человеку.

Настройки действуют для всех каналов и всех видов вопросов компании. Добавьте исключение, \
чтобы изменить часть из них для одного канала (скажем, официальный тон в e-mail), для одного \
сценария (приветствие, вопросы о товарах, цена, наличие, оплата, доставка или запись, когда \
ничего не найдено) или для обоих сразу. Исключение меняет только то, что в нём задано; всё \
остальное берётся из настроек компании.

Рабочие часы: выберите «Всегда открыто» или «Только в эти часы» и укажите время открытия и \
закрытия каждого дня в вашем часовом поясе (например, Europe/Moscow); день без времени — \
выходной. В нерабочее время ассистент всё равно отвечает, а ответ для нерабочего времени \
сообщает клиенту, когда ответит человек.

До сохранения напишите сообщение клиента в панели «Предпросмотр» — вы увидите ответ с \
настройками, как они заполнены в форме. В проверочном чате можно поговорить с ассистентом как \
клиент: для каждого ответа видно, что он понял, какие товары нашёл в базе знаний и по каким \
ценам и почему ответил именно так. Ничто из проверочного чата не попадает к клиентам и в \
«Диалоги».

Цены и факты ассистент берёт только из базы знаний и никогда их не придумывает. Если клиент \
спрашивает о том, чего в базе нет, ассистент так и говорит и предлагает связаться с человеком.""",
    },
]
